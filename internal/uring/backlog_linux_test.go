package uring

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fillBudget submits RECVs on fd (which nobody writes) until the ring's
// bound on CQEs in flight (Config.MaxInFlight) is used up, beside the
// eventfd read, so that whatever is submitted next waits in the backlog.
// It returns them; cancel them with CancelFD(fd).
func fillBudget(t *testing.T, r *Ring, fd int) []Req {
	t.Helper()
	if r.budget > 1<<20 {
		t.Fatal("fillBudget on a ring without Config.MaxInFlight")
	}
	return submitRecvs(t, r, fd, r.budget-1)
}

// TestCancelledQueuedReqReused: a request cancelled while it waits in the
// backlog behind another completes at once; its owner then prepares it
// again for another descriptor while cancels by descriptor are processed.
// The owner must not read the Req after completing it (go test -race saw
// the backlog scan of CancelFD read the fd that PrepRecv was writing).
func TestCancelledQueuedReqReused(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CQEntries: 8, MaxInFlight: 6})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	c, _ := socketpair(t, unix.SOCK_STREAM)
	busy := fillBudget(t, r, a)
	var head Req // waits at the head of the backlog for the whole test
	head.PrepRecv(a, make([]byte, 1), 0)
	if err := r.Submit(&head); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // cancels by a descriptor nothing waits on: each scans the backlog
		for {
			select {
			case <-stop:
				return
			default:
			}
			var tr Tracker
			r.CancelFD(c, &tr)
			tr.Wait()
		}
	})
	var q Req
	buf := make([]byte, 1)
	for i := range 2000 {
		q.PrepRecv([]int{a, c}[i%2], buf, 0) // rewrites q.fd
		if err := r.Submit(&q); err != nil {
			t.Fatal(err)
		}
		r.Cancel(&q)
		if res, _ := wait(t, &q); res != -int32(unix.ECANCELED) {
			t.Fatalf("round %d: queued request cancelled: res %d, want -ECANCELED", i, res)
		}
	}
	close(stop)
	wg.Wait()
	r.CancelFD(a, nil)
	for i := range busy {
		wait(t, &busy[i])
	}
	if res, _ := wait(t, &head); res != -int32(unix.ECANCELED) {
		t.Fatalf("head of the backlog: res %d, want -ECANCELED", res)
	}
}

// TestBacklogStats: requests held in the backlog show in Stats, its length
// now and at most, and how long they waited there, at least as long as
// they were seen waiting; once they have started, Backlog is 0 again.
func TestBacklogStats(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CQEntries: 8, MaxInFlight: 6})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	busy := fillBudget(t, r, a)
	const n = 10
	qs := make([]Req, n)
	for i := range qs {
		qs[i].PrepNop()
		if err := r.Submit(&qs[i]); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now().Add(10 * time.Second)
	for r.Stats().Backlog != n {
		if time.Now().After(end) {
			t.Fatalf("Backlog %d with %d NOPs held back, want %d", r.Stats().Backlog, n, n)
		}
		runtime.Gosched()
	}
	seen := time.Now()
	time.Sleep(20 * time.Millisecond) // so that the wait is long enough to see: pacing, not synchronization
	r.CancelFD(a, nil)
	for i := range busy {
		wait(t, &busy[i])
	}
	for i := range qs {
		if res, _ := wait(t, &qs[i]); res != 0 {
			t.Fatalf("NOP %d: res %d", i, res)
		}
	}
	held := time.Since(seen)
	s := r.Stats()
	if s.Backlog != 0 || s.MaxBacklog < n || s.MaxBacklogWait < 20*time.Millisecond || s.MaxBacklogWait > held+time.Second {
		t.Fatalf("after %v held back: Backlog %d, MaxBacklog %d, MaxBacklogWait %v; want 0, at least %d, between 20ms and %v",
			held, s.Backlog, s.MaxBacklog, s.MaxBacklogWait, n, held)
	}
}
