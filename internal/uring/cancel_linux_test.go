package uring

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCancelsOnTinyRing: far more cancels than the SQ and CQ hold, by
// descriptor and by request, all at once. None may be lost: every request
// completes with -ECANCELED and every Tracker goes idle.
func TestCancelsOnTinyRing(t *testing.T) {
	for _, c := range []Config{{Entries: 1, CQEntries: 2}, {Entries: 4, CQEntries: 8}, {Entries: 8}, {Entries: 4, CQEntries: 8, MaxInFlight: 6}} {
		r := newRing(t, c)
		const n = 100
		fds := make([]int, n)
		qs := make([]Req, 2*n)
		for i := range fds {
			fds[i], _ = socketpair(t, unix.SOCK_STREAM)
			for j := range 2 {
				q := &qs[2*i+j]
				q.PrepRecv(fds[i], make([]byte, 1), 0)
				if j == 1 {
					q.SetTimeout(time.Hour)
				}
				if err := r.Submit(q); err != nil {
					t.Fatal(err)
				}
			}
		}
		trs := make([]Tracker, n)
		var wg sync.WaitGroup
		for i := range fds {
			wg.Go(func() {
				if i%2 == 0 {
					r.CancelFD(fds[i], &trs[i])
				} else {
					r.Cancel(&qs[2*i])
					r.Cancel(&qs[2*i+1])
				}
			})
		}
		wg.Wait()
		for i := range qs {
			if res, timedOut := wait(t, &qs[i]); res != -int32(unix.ECANCELED) || timedOut {
				t.Fatalf("%+v: req %d: res %d timedOut %v, want -ECANCELED", c, i, res, timedOut)
			}
		}
		idle := make(chan struct{})
		go func() {
			for i := range trs {
				trs[i].Wait()
			}
			close(idle)
		}()
		select {
		case <-idle:
		case <-time.After(10 * time.Second):
			t.Fatalf("%+v: a CancelFD was never answered", c)
		}
	}
}
