package uring

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// fillBudget submits RECVs on fd (which nobody writes) until the ring's CQ
// budget for requests is used up, so that whatever is submitted next waits
// in the backlog. It returns them; cancel them with CancelFD(fd).
func fillBudget(t *testing.T, r *Ring, fd int) []Req {
	t.Helper()
	n := int(r.Stats().CQEntries) - max(int(r.Stats().CQEntries)/8, 2) - 1
	return submitRecvs(t, r, fd, n)
}

// TestCancelledQueuedReqReused: a request cancelled while it waits in the
// backlog behind another completes at once; its owner then prepares it
// again for another descriptor while cancels by descriptor are processed.
// The owner must not read the Req after completing it (go test -race saw
// the backlog scan of CancelFD read the fd that PrepRecv was writing).
func TestCancelledQueuedReqReused(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CQEntries: 8})
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
