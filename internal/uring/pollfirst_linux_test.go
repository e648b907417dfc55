package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestPollFirst: a RECV marked SetPollFirst (the caller saw EAGAIN a moment
// ago) still completes at once when the data is already there by the time
// the kernel arms its poll, and when it comes later; a later Prep clears the
// mark.
func TestPollFirst(t *testing.T) {
	r := newRing(t, Config{})
	a, b := socketpair(t, unix.SOCK_STREAM)
	buf := make([]byte, 8)
	var q Req

	if _, err := unix.Write(b, []byte("early")); err != nil {
		t.Fatal(err)
	}
	q.PrepRecv(a, buf, 0)
	q.SetPollFirst()
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 5 || string(buf[:5]) != "early" {
		t.Fatalf("POLL_FIRST RECV with data waiting: res %d, %q", res, buf[:max(res, 0)])
	}

	q.PrepRecv(a, buf, 0)
	q.SetPollFirst()
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(b, []byte("late")); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 4 || string(buf[:4]) != "late" {
		t.Fatalf("POLL_FIRST RECV with data arriving later: res %d, %q", res, buf[:max(res, 0)])
	}

	q.PrepRecv(a, buf, 0)
	if q.pollFirst {
		t.Error("PrepRecv kept the POLL_FIRST mark of the previous request")
	}
}
