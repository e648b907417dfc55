package iofd

import (
	"errors"
	"io"
	"math"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingHooks counts the Evicts of a Close and the Destroys; its calls
// never wait.
type countingHooks struct {
	noWait
	evicts, destroys atomic.Int32
}

func (h *countingHooks) Evict(_ *FD, half *Half) {
	if half == nil {
		h.evicts.Add(1)
	}
}
func (h *countingHooks) Destroy(*FD) { h.destroys.Add(1) }

func socketpair(t *testing.T, sotype int) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, sotype|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// TestCloseWaitsForLastReference: close(2) and Destroy run exactly once,
// when the last call's reference is dropped, not at Close.
func TestCloseWaitsForLastReference(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(b)
	hooks := &countingHooks{}
	fd, err := New(a, Config{Model: "test", Mode: Nonblocking, Driver: hooks})
	if err != nil {
		t.Fatal(err)
	}
	if err := fd.Incref(); err != nil { // a call in flight
		t.Fatal(err)
	}
	if err := fd.Close(); err != nil {
		t.Fatal(err)
	}
	if hooks.evicts.Load() != 1 || hooks.destroys.Load() != 0 || !isOpen(a) {
		t.Fatalf("after Close with a call in flight: evicts=%d destroys=%d open=%v; want 1, 0, true",
			hooks.evicts.Load(), hooks.destroys.Load(), isOpen(a))
	}
	if err := fd.Incref(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Incref after Close: %v, want net.ErrClosed", err)
	}
	fd.Decref()
	if hooks.destroys.Load() != 1 || isOpen(a) {
		t.Fatalf("after the last reference: destroys=%d open=%v; want 1, false", hooks.destroys.Load(), isOpen(a))
	}
	if err := fd.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if hooks.evicts.Load() != 1 || hooks.destroys.Load() != 1 {
		t.Errorf("second Close ran hooks again: evicts=%d destroys=%d", hooks.evicts.Load(), hooks.destroys.Load())
	}
}

// TestReadyIsLatchedAndCoalesced: a Ready before the Wait is kept; several
// fold into one.
func TestReadyIsLatchedAndCoalesced(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(b)
	fd, err := New(a, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	h := &fd.Read
	h.Ready()
	h.Ready()
	h.Ready()
	start := time.Now()
	h.Wait(10 * time.Second) // the latched token: returns at once
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Wait with a latched token took %v", d)
	}
	start = time.Now()
	h.Wait(30 * time.Millisecond) // the three folded into one: this one times out
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("second Wait returned after %v: the Readys were not coalesced", d)
	}
}

// TestWaitWakesOnCloseAndDeadline: a waiter returns when the FD closes and
// when a deadline set meanwhile passes.
func TestWaitWakesOnCloseAndDeadline(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(b)
	fd, err := New(a, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		fd.Read.Wait(0)
		close(done)
	}()
	fd.SetReadDeadline(time.Now().Add(10 * time.Millisecond)) // wakes it, or it sees it
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a deadline set while waiting did not end the Wait")
	}
	go func() {
		fd.Write.Wait(0)
		close(done)
	}()
	done = make(chan struct{})
	fd.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a Wait")
	}
}

func TestDeadlineNanos(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0},
		{time.Unix(0, 0), 1},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{time.Unix(5, 7), 5e9 + 7},
	} {
		if got := deadlineNanos(c.t); got != c.want {
			t.Errorf("deadlineNanos(%v) = %d, want %d", c.t, got, c.want)
		}
	}
}

// TestLoopResults: io.EOF on a stream, 0 on an empty datagram, net.ErrClosed
// after Close, errors wrapped as *net.OpError with the errno kept.
func TestLoopResults(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	fd, err := New(a, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(b)
	buf := make([]byte, 8)
	if n, err := fd.TryRecv(buf); n != 0 || err != io.EOF {
		t.Errorf("Recv at end of stream = %d, %v; want 0, io.EOF", n, err)
	}
	_, err = fd.TrySend([]byte("x"))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" || !errors.Is(err, unix.EPIPE) {
		t.Errorf("Send to a closed peer: %#v, want *net.OpError{Op: write} wrapping EPIPE", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "sendto" {
		t.Errorf("Send error %v does not name sendto", err)
	}
	fd.Close()
	if _, err := fd.TryRecv(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Recv after Close: %v", err)
	}

	a, b = socketpair(t, unix.SOCK_DGRAM)
	defer unix.Close(b)
	dg, err := New(a, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	unix.Write(b, nil) // an empty datagram
	if n, err := dg.TryRecv(buf); n != 0 || err != nil {
		t.Errorf("Recv of an empty datagram = %d, %v; want 0, nil", n, err)
	}
}

// TestZeroAllocs: the shared loops allocate nothing per call.
func TestZeroAllocs(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	fa, err := New(a, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := New(b, Config{Model: "test", Mode: Nonblocking})
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	msg, buf := make([]byte, 64), make([]byte, 64)
	fa.SetDeadline(time.Now().Add(time.Hour))
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := fa.TrySend(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := fb.TryRecv(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Send+Recv allocate %v times per call, want 0", allocs)
	}
}

func TestNewBadInput(t *testing.T) {
	if _, err := New(-1, Config{Model: "test"}); !errors.Is(err, ErrNegativeFD) {
		t.Errorf("New(-1): %v", err)
	}
	a, b := socketpair(t, unix.SOCK_STREAM)
	unix.Close(a)
	unix.Close(b)
	if _, err := New(a, Config{Model: "test"}); !errors.Is(err, unix.EBADF) {
		t.Errorf("New(closed): %v, want EBADF", err)
	}
}
