package uring

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTimedOutIsPerSubmission: a Req whose linked timeout fired once and is
// then resubmitted and cancelled reports the cancel, not a timeout.
func TestTimedOutIsPerSubmission(t *testing.T) {
	r := newRing(t, Config{})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	var q Req
	recvTimesOut(t, r, &q, a)
	for _, d := range []time.Duration{0, time.Hour} {
		q.PrepRecv(a, make([]byte, 1), 0)
		q.SetTimeout(d)
		if err := r.Submit(&q); err != nil {
			t.Fatal(err)
		}
		// The backlog starts requests in order: once a NOP submitted
		// after q has completed, q is in the kernel, and the cancel must
		// go there too (a queued request's cancel never reaches reap).
		var nop Req
		nop.PrepNop()
		if err := r.Submit(&nop); err != nil {
			t.Fatal(err)
		}
		wait(t, &nop)
		r.Cancel(&q)
		if res, timedOut := wait(t, &q); res != -int32(unix.ECANCELED) || timedOut {
			t.Fatalf("timeout %v, cancelled: res %d timedOut %v; want -ECANCELED, false", d, res, timedOut)
		}
	}
}
