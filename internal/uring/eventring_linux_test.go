package uring

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/modeltest"
	"golang.org/x/sys/unix"
)

// newEventRing locks the test's goroutine to its thread (the ring is the
// thread's: SINGLE_ISSUER) and returns a ring, or skips with the reason
// io_uring is unavailable.
func newEventRing(t *testing.T) *EventRing {
	t.Helper()
	runtime.LockOSThread()
	r, err := NewEventRing(64, 256)
	if err != nil {
		runtime.UnlockOSThread()
		skipUnsupported(t, err)
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); runtime.UnlockOSThread() })
	return r
}

func newBufRing(t *testing.T, r *EventRing, n, size int) *BufRing {
	t.Helper()
	b, err := r.NewBufRing(1, n, size)
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// waitFor waits on r until pred holds for the completions reaped so far,
// failing the test after 10 s with step in the message.
func waitFor(t *testing.T, r *EventRing, step string, pred func([]Completion) bool) []Completion {
	t.Helper()
	var got []Completion
	end := time.Now().Add(10 * time.Second)
	for !pred(got) {
		if time.Now().After(end) {
			t.Fatalf("%s: not done in 10s; completions %+v", step, got)
		}
		r.Wait(100 * time.Millisecond)
		got = r.Reap(got)
	}
	return got
}

func count(ud uint64) func([]Completion) bool {
	return func(cs []Completion) bool {
		for _, c := range cs {
			if c.UserData == ud && !c.More() {
				return true
			}
		}
		return false
	}
}

// TestEventRingRecvMultishot streams random bytes in random chunks through
// one multishot RECV into a small provided-buffer ring, recycling each
// buffer after reading it; the ring runs dry now and then (ENOBUFS ends the
// request) and the receiver arms it again. The bytes must come out as they
// went in, and the last completion (EOF) must end the request.
func TestEventRingRecvMultishot(t *testing.T) {
	r := newEventRing(t)
	b := newBufRing(t, r, 4, 512)
	a, c := socketpair(t, unix.SOCK_STREAM)
	want := make([]byte, 1<<18)
	for i := range want {
		want[i] = byte(rand.Uint32())
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := want; len(p) > 0; {
			n := min(len(p), 1+rand.IntN(3000))
			w, err := unix.Write(a, p[:n])
			if err != nil {
				t.Errorf("write: %v", err)
				return
			}
			p = p[w:]
		}
		unix.Shutdown(a, unix.SHUT_WR)
	}()
	defer wg.Wait()

	r.RecvMultishot(c, b.Group(), 7)
	var got []byte
	rearms := 0
	end := time.Now().Add(10 * time.Second)
	for done := false; !done; {
		if time.Now().After(end) {
			t.Fatalf("received %d of %d bytes in 10s", len(got), len(want))
		}
		r.Wait(100 * time.Millisecond)
		for _, cq := range r.Reap(nil) {
			if cq.UserData != 7 {
				t.Fatalf("completion %+v: unknown user_data", cq)
			}
			if bid, ok := cq.Buffer(); ok {
				got = append(got, b.Buf(bid, int(cq.Res))...)
				b.Recycle(bid)
			}
			switch {
			case cq.Res == 0:
				if cq.More() {
					t.Fatal("EOF with IORING_CQE_F_MORE")
				}
				done = true
			case cq.Res == -int32(unix.ENOBUFS):
				rearms++
				r.RecvMultishot(c, b.Group(), 7)
			case cq.Res < 0:
				t.Fatalf("recv: %v", unix.Errno(-cq.Res))
			case !cq.More():
				r.RecvMultishot(c, b.Group(), 7)
			}
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("received %d bytes, not the %d sent (or not in order)", len(got), len(want))
	}
	t.Logf("ring ran dry %d times", rearms)
}

// TestBufRingRelease gives the buffers' pages back between two streams:
// the second still arrives whole, into pages the kernel faults in again.
func TestBufRingRelease(t *testing.T) {
	r := newEventRing(t)
	b := newBufRing(t, r, 4, 4096)
	a, c := socketpair(t, unix.SOCK_STREAM)
	for round := 0; round < 2; round++ {
		want := bytes.Repeat([]byte{byte('a' + round)}, 3000)
		if _, err := unix.Write(a, want); err != nil {
			t.Fatal(err)
		}
		r.RecvMultishot(c, b.Group(), 9)
		var got []byte
		end := time.Now().Add(10 * time.Second)
		for len(got) < len(want) {
			if time.Now().After(end) {
				t.Fatalf("round %d: received %d of %d bytes in 10s", round, len(got), len(want))
			}
			r.Wait(100 * time.Millisecond)
			for _, cq := range r.Reap(nil) {
				if bid, ok := cq.Buffer(); ok {
					got = append(got, b.Buf(bid, int(cq.Res))...)
					b.Recycle(bid)
				}
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: received other bytes", round)
		}
		r.CancelFD(c, 10)
		waitFor(t, r, "cancel", count(10))
		if err := b.Release(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEventRingAcceptMultishot accepts several connections with one
// multishot ACCEPT, then cancels it by fd: the cancel reaps the request's
// last completion (no IORING_CQE_F_MORE) before the listener is closed.
func TestEventRingAcceptMultishot(t *testing.T) {
	r := newEventRing(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lfd := int(f.Fd()) // blocking (File makes it so), as io_uring wants
	r.AcceptMultishot(lfd, unix.SOCK_CLOEXEC, 1)
	const n = 5
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	got := waitFor(t, r, "accept 5", func(cs []Completion) bool { return len(cs) >= n })
	for _, c := range got {
		if c.Res < 0 || !c.More() {
			t.Fatalf("accept completion %+v: want an fd and IORING_CQE_F_MORE", c)
		}
		unix.Close(int(c.Res))
	}
	r.CancelFD(lfd, 2)
	got = waitFor(t, r, "cancel", func(cs []Completion) bool { return count(1)(cs) && count(2)(cs) })
	for _, c := range got {
		if c.UserData == 1 && c.Res != -int32(unix.ECANCELED) {
			t.Errorf("cancelled accept's last completion res %d, want -ECANCELED", c.Res)
		}
		if c.UserData == 2 && c.Res != 1 {
			t.Errorf("cancel found %d requests, want 1", c.Res)
		}
	}
}

// TestEventRingSend sends with SEND from memory outside Go's heap's reach
// of moving, reaps the completion, and reads the bytes on the peer.
func TestEventRingSend(t *testing.T) {
	r := newEventRing(t)
	a, c := socketpair(t, unix.SOCK_STREAM)
	p := []byte("hello, ring")
	var pin runtime.Pinner
	pin.Pin(&p[0])
	r.Send(a, p, 3)
	got := waitFor(t, r, "send", count(3))
	pin.Unpin()
	if got[0].Res != int32(len(p)) {
		t.Fatalf("send res %d, want %d", got[0].Res, len(p))
	}
	buf := make([]byte, 64)
	n, err := unix.Read(c, buf)
	if err != nil || string(buf[:n]) != string(p) {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
}

// TestEventRingWake wakes a ring waiting with no bound from another
// goroutine, many times; a Wake before the Wait keeps it from sleeping.
func TestEventRingWake(t *testing.T) {
	r := newEventRing(t)
	r.Wake()
	r.Wait(-1) // must not sleep: a Wake is pending
	if !r.Woken() {
		t.Fatal("Woken false after Wake")
	}
	for i := 0; i < 200; i++ {
		go r.Wake()
		done := make(chan struct{})
		timer := time.AfterFunc(10*time.Second, func() {
			select {
			case <-done:
			default:
				r.Wake()
				t.Errorf("round %d: Wait did not return after Wake within 10s", i)
			}
		})
		for !r.Woken() {
			r.Wait(-1)
			r.Reap(nil)
		}
		close(done)
		timer.Stop()
		if t.Failed() {
			return
		}
	}
}

// TestEventRingTimedWait bounds a wait with nothing in flight but the
// eventfd READ: it returns after about d, not before.
func TestEventRingTimedWait(t *testing.T) {
	r := newEventRing(t)
	if r.q.features&IORING_FEAT_EXT_ARG == 0 {
		t.Skip("the kernel lacks IORING_FEAT_EXT_ARG (5.11): waits are unbounded")
	}
	start := time.Now()
	r.Wait(20 * time.Millisecond)
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("Wait(20ms) returned after %v", el)
	}
}

// TestBufRingBadSize refuses what the kernel would.
func TestBufRingBadSize(t *testing.T) {
	r := newEventRing(t)
	for _, n := range []int{0, 3, 1 << 16} {
		if _, err := r.NewBufRing(2, n, 64); err == nil || errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("NewBufRing(%d entries): err %v, want a size error", n, err)
		}
	}
}

// TestEventRingWakeNeverLost races Wake against the owner's Wait, round
// after round: a Wake that lands before the owner sets sleeping, between
// that and its look at posted, or while it sleeps in io_uring_enter, must
// end that Wait or keep the next one from sleeping. A lost one leaves the
// owner asleep; the round then fails, and an eventfd write of the test's
// own ends the sleep.
func TestEventRingWakeNeverLost(t *testing.T) {
	r := newEventRing(t)
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	n := modeltest.WakeRounds(t, 200000, time.Second, r.Wake, func() {
		for !r.Woken() {
			r.Wait(-1)
			r.Reap(nil)
		}
	}, func() { unix.Write(r.efd, one) })
	t.Logf("%d rounds", n)
}
