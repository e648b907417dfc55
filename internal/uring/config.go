package uring

// Config sizes a ring. Zero values pick the defaults. New raises sizes too
// small to work: Entries to 2 (a request with a linked timeout takes two
// SQEs at once) and CQEntries to twice Entries and at least 8 (a request
// with its timeout, the reserve kept for cancels and the eventfd read must
// all fit).
type Config struct {
	Entries   uint32 // SQ entries: the most SQEs one io_uring_enter submits (default 256)
	CQEntries uint32 // CQ entries: the bound on CQEs in flight (default 8192)
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
	// their linked timeouts, cancels, the eventfd read); never above CQEntries.
	MaxInFlight uint64
	CQEntries   uint64 // the CQ size the kernel granted
	SQEntries   uint64 // the SQ size the kernel granted
}

// Stats returns the ring's counters.
func (r *Ring) Stats() Stats {
	return Stats{Enters: r.enters.Load(), Submitted: r.submitted.Load(), Ops: r.ops.Load(), Wakeups: r.wakeups.Load(),
		Active: uint64(max(r.active.Load(), 0)), MaxInFlight: r.maxInflight.Load(), CQEntries: r.cqEntries, SQEntries: r.sqEntries}
}
