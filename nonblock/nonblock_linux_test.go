package nonblock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/nonblock"
)

func pair(t *testing.T, opts ...nonblock.Option) (*nonblock.Conn, *nonblock.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := nonblock.New(fds[0], opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nonblock.New(fds[1], opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestTryCallsAndStats: TryRecv on an empty socket says ErrWouldBlock after
// exactly one system call, and Stats counts what happened.
func TestTryCallsAndStats(t *testing.T) {
	a, b := pair(t)
	buf := make([]byte, 16)
	if n, err := b.TryRecv(buf); n != 0 || !errors.Is(err, nonblock.ErrWouldBlock) {
		t.Fatalf("TryRecv on an empty socket = %d, %v; want 0 and ErrWouldBlock", n, err)
	}
	if n, err := a.TrySend([]byte("hello")); n != 5 || err != nil {
		t.Fatalf("TrySend = %d, %v", n, err)
	}
	if n, err := b.TryRecv(buf); n != 5 || err != nil {
		t.Fatalf("TryRecv with data = %d, %v", n, err)
	}
	want := iomodel.Stats{Read: iomodel.DirStats{Calls: 2, Syscalls: 2, WouldBlock: 1, Bytes: 5}}
	if d := cmp.Diff(want, b.Stats()); d != "" {
		t.Errorf("receiver's Stats (-want +got):\n%s", d)
	}
	want = iomodel.Stats{Write: iomodel.DirStats{Calls: 1, Syscalls: 1, Bytes: 5}}
	if d := cmp.Diff(want, a.Stats()); d != "" {
		t.Errorf("sender's Stats (-want +got):\n%s", d)
	}
}

// TestTrySendFull: TrySend into a full buffer reports what it wrote and
// ErrWouldBlock, and nothing it did not write is lost.
func TestTrySendFull(t *testing.T) {
	a, b := pair(t)
	chunk := make([]byte, 1<<20)
	var sent int
	for {
		n, err := a.TrySend(chunk)
		sent += n
		if errors.Is(err, nonblock.ErrWouldBlock) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if sent == 0 {
		t.Fatal("TrySend took nothing into an empty socket")
	}
	got := 0
	buf := make([]byte, 64<<10)
	for got < sent {
		n, err := b.TryRecv(buf)
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", got, sent, err)
		}
		got += n
	}
	if n, err := b.TryRecv(buf); !errors.Is(err, nonblock.ErrWouldBlock) {
		t.Errorf("an extra TryRecv = %d, %v; want ErrWouldBlock", n, err)
	}
}

// TestFlags: a socket keeps its file status flags (MSG_DONTWAIT is per
// call), a pipe gets O_NONBLOCK.
func TestFlags(t *testing.T) {
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(fds[1])
	c, err := nonblock.New(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if fl, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Errorf("nonblock.New set O_NONBLOCK on a socket; it should use MSG_DONTWAIT")
	}
	var p [2]int
	unix.Pipe2(p[:], unix.O_CLOEXEC)
	defer unix.Close(p[1])
	pc, err := nonblock.New(p[0])
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if fl, _ := unix.FcntlInt(uintptr(p[0]), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Errorf("nonblock.New did not set O_NONBLOCK on a pipe")
	}
}

// TestPolicy: a bad Policy is refused, and a Policy that sleeps still
// delivers data that arrives during its sleeps.
func TestPolicy(t *testing.T) {
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if c, err := nonblock.New(fds[0], nonblock.WithPolicy(nonblock.Policy{Yields: -1})); err == nil {
		c.Close()
		t.Fatal("New accepted a Policy with negative Yields")
	} else {
		t.Log(err)
	}
	// A policy that sleeps at once, 10ms a step: Recv still gets its data,
	// and the sleeps are counted as Waits.
	a, b := pair(t, nonblock.WithPolicy(nonblock.Policy{MinSleep: 10 * time.Millisecond, MaxSleep: 10 * time.Millisecond}))
	go func() {
		time.Sleep(30 * time.Millisecond)
		a.Send([]byte("late"))
	}()
	buf := make([]byte, 8)
	n, err := b.Recv(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("Recv = %q, %v", buf[:n], err)
	}
	if w := b.Stats().Read.Waits; w == 0 {
		t.Errorf("Stats().Read.Waits = 0 after Recv waited for data")
	}
}
