package uring

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitSleep waits until the owner is blocked in io_uring_enter in mode (a
// state to reach, not a delay: it fails after 10 s).
func waitSleep(t *testing.T, r *Ring, mode int32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); r.sleep.Load() != mode; time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the owner never reached sleep mode %d (now %d)", mode, r.sleep.Load())
		}
	}
}

// TestNap: after a wait that reaped a completion, the owner naps (a timed
// wait) and work handed over meanwhile is taken when the nap ends, without
// an eventfd write; once a wait reaps nothing, the owner sleeps deep and
// work handed over wakes it through the eventfd. Either way nothing is
// stranded.
func TestNap(t *testing.T) {
	old := napFor
	napFor = 50 * time.Millisecond // long enough to catch the owner napping
	t.Cleanup(func() { napFor = old })
	r := newRing(t, Config{}) // reads napFor as it starts
	if r.nap == nil {
		t.Skip("the kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11): every wait is deep")
	}
	a, b := socketpair(t, unix.SOCK_STREAM)
	_, idle := socketpair(t, unix.SOCK_STREAM)

	// Requests that stay pending keep the owner waiting in the kernel; more
	// of them than Ps make the ring crowded enough to nap.
	pending := make([]Req, runtime.GOMAXPROCS(0)+1)
	buf := make([]byte, 8)
	for i := range pending {
		pending[i].PrepRecv(idle, buf, 0)
		if err := r.Submit(&pending[i]); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for i := range pending {
			r.Cancel(&pending[i])
			wait(t, &pending[i])
		}
	}()

	// A completion makes the ring busy: the next wait is a nap.
	var q Req
	rbuf := make([]byte, 8)
	q.PrepRecv(a, rbuf, 0)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 1 {
		t.Fatalf("RECV res = %d, want 1", res)
	}
	waitSleep(t, r, sleepNap)
	w0 := r.Stats().Wakeups
	var nop Req
	nop.PrepNop()
	start := time.Now()
	if err := r.Submit(&nop); err != nil {
		t.Fatal(err)
	}
	wait(t, &nop)
	if w := r.Stats().Wakeups; w != w0 {
		t.Errorf("a NOP handed to a napping owner wrote the eventfd %d times, want 0", w-w0)
	}
	t.Logf("taken after %v of a %v nap", time.Since(start), napFor)

	// The NOP's completion makes the next wait a nap too; it reaps
	// nothing, so the one after is deep. (A signal can end a deep wait
	// early with EINTR, and a NOP handed over in that moment needs no
	// wake-up: so up to three tries.)
	woken := false
	for try := 0; try < 3 && !woken; try++ {
		waitSleep(t, r, sleepDeep)
		w0 = r.Stats().Wakeups
		nop.PrepNop()
		if err := r.Submit(&nop); err != nil {
			t.Fatal(err)
		}
		wait(t, &nop)
		woken = r.Stats().Wakeups == w0+1
	}
	if !woken {
		t.Error("NOPs handed to a deep-sleeping owner did not write the eventfd")
	}
}
