package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSmallestConfig: sizes too small to work are raised. With one SQ entry
// a request with a linked timeout (two SQEs) never fitted, and with a CQ of
// 2 no request fitted beside the cancels' reserve: both waited forever.
func TestSmallestConfig(t *testing.T) {
	r := newRing(t, Config{Entries: 1, CQEntries: 1})
	if s := r.Stats(); s.SQEntries < 2 || s.CQEntries < 8 {
		t.Fatalf("SQ %d, CQ %d entries; want at least 2 and 8", s.SQEntries, s.CQEntries)
	}
	a, _ := socketpair(t, unix.SOCK_STREAM)
	var q Req
	recvTimesOut(t, r, &q, a)
}

// TestDefaultConfig: zero values pick the documented defaults.
func TestDefaultConfig(t *testing.T) {
	r := newRing(t, Config{})
	if s := r.Stats(); s.SQEntries != DefaultEntries || s.CQEntries != DefaultCQEntries {
		t.Fatalf("SQ %d, CQ %d entries; want %d and %d", s.SQEntries, s.CQEntries, DefaultEntries, DefaultCQEntries)
	}
}
