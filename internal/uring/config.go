package uring

import "time"

// Config sizes a ring. Zero values pick the defaults. New raises sizes too
// small to work: Entries to 2 (a request with a linked timeout takes two
// SQEs at once) and CQEntries to twice Entries and at least 8 (a request
// with its timeout, the reserve kept for cancels and the eventfd read must
// all fit).
type Config struct {
	Entries   uint32 // SQ entries: the most SQEs one io_uring_enter submits (default 256)
	CQEntries uint32 // CQ entries: the completions posted and not yet reaped (default 8192)
	// MaxInFlight, if not 0, bounds the CQEs in flight: a request starts
	// only while it fits (cancels and the eventfd read never wait for
	// it), and waits in the backlog until it does. 0, the default, is no
	// bound: requests in flight are bounded by memory, and completions
	// beyond the CQ's room wait in kernel memory (IORING_FEAT_NODROP)
	// until the owner reaps. A bound makes a waiting request wait for
	// another's completion, which among idle connections never comes; the
	// tests use one to hold requests in the backlog.
	MaxInFlight uint32
}

// The default and smallest sizes (see Config).
const (
	DefaultEntries   = 256
	DefaultCQEntries = 8192
	minSQ            = 2
	minCQ            = 8
)

// Stats counts a ring's work since it started.
type Stats struct {
	Enters    uint64 // io_uring_enter(2) calls
	Submitted uint64 // SQEs submitted (requests, linked timeouts, cancels, eventfd reads)
	Ops       uint64 // requests completed (Req, not counting timeouts or cancels)
	Wakeups   uint64 // eventfd writes that woke the owner
	Active    uint64 // requests submitted and not yet completed, now
	// MaxInFlight is the most CQEs the ring has ever had outstanding (requests,
	// their linked timeouts, cancels, the eventfd read); above CQEntries
	// when more requests wait than the CQ holds.
	MaxInFlight uint64
	CQEntries   uint64 // the CQ size the kernel granted
	SQEntries   uint64 // the SQ size the kernel granted
	// Backlog is the requests handed to the owner that wait for room in
	// the SQ (or under Config.MaxInFlight), now; MaxBacklog the most ever.
	Backlog, MaxBacklog uint64
	// MaxBacklogWait is the longest a request has waited in the backlog,
	// from the first round that could not start it until the round that
	// started or cancelled it.
	MaxBacklogWait time.Duration
	// Overflows counts the rounds that found completions kept in kernel
	// memory because the CQ was full (IORING_SQ_CQ_OVERFLOW).
	Overflows uint64
}

// Stats returns the ring's counters.
func (r *Ring) Stats() Stats {
	return Stats{Enters: r.enters.Load(), Submitted: r.submitted.Load(), Ops: r.ops.Load(), Wakeups: r.wakeups.Load(),
		Active: uint64(max(r.active.Load(), 0)), MaxInFlight: r.maxInflight.Load(), CQEntries: r.cqEntries, SQEntries: r.sqEntries,
		Backlog: r.backlogLen.Load(), MaxBacklog: r.maxBacklog.Load(), MaxBacklogWait: time.Duration(r.maxBacklogWait.Load()),
		Overflows: r.overflows.Load()}
}
