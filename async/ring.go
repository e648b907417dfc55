package async

import (
	"errors"
	"time"

	"github.com/iomodel/iomodel/internal/uring"
)

// Ring is an io_uring instance and the goroutine, locked to its own OS
// thread, that owns it: every submission and every wait of the Conns that use
// the ring go through one io_uring_enter(2) loop, so requests that arrive
// together are submitted together.
//
// Conns use a shared default ring unless given one with WithRing. A Ring
// lives until it has been closed and the last Conn using it has closed.
type Ring struct {
	r *uring.Ring
}

// RingStats counts a ring's work since it started.
type RingStats struct {
	Enters    uint64 // io_uring_enter(2) calls
	Submitted uint64 // SQEs the kernel took (operations, linked timeouts, cancels, wake-up reads)
	Ops       uint64 // operations completed
	Wakeups   uint64 // eventfd writes that woke the ring's thread
	Active    uint64 // operations handed to the ring and not yet completed, now
	// MaxInFlight is the most completions the ring has had outstanding at
	// once. It may exceed Size, the completion queue's length: operations
	// in flight are bounded by memory, and completions the full queue
	// cannot take wait in kernel memory until the ring's thread reaps.
	MaxInFlight uint64
	Size        uint64
	// Backlog is the operations handed to the ring that wait inside it
	// for room in its submission queue, now; MaxBacklog the most ever;
	// MaxBacklogWait the longest any waited there. An overloaded ring
	// shows here: more operations arrive per io_uring_enter(2) than its
	// submission queue takes (a ring of size n submits n/8 per enter).
	Backlog, MaxBacklog uint64
	MaxBacklogWait      time.Duration
	// Overflows counts the rounds of the ring's thread that found
	// completions kept in kernel memory because the completion queue was
	// full: a queue too small for the completions that arrive at once.
	Overflows uint64
}

// OpsPerEnter is operations completed per io_uring_enter(2) call: the batching
// the ring achieved (above 1 means several operations shared a system call).
func (s RingStats) OpsPerEnter() float64 {
	if s.Enters == 0 {
		return 0
	}
	return float64(s.Ops) / float64(s.Enters)
}

// DefaultRingSize is the size NewRing(0) picks, and that of the shared
// default ring.
const DefaultRingSize = 8192

// NewRing starts a ring with room for size operations in flight: its
// completion queue, where each operation with a deadline counts twice. The
// ring submits up to size/8 of them per io_uring_enter(2) (at least 8, at
// most 4096). size 0 means DefaultRingSize (8192), with the default ring's 256
// submissions per enter; the kernel rounds a size up to a power of two, and
// sizes below 16 are raised to 16. The size does not bound the operations
// waiting: more than size may be in flight, and completions beyond it wait
// in kernel memory until the ring's thread reaps them (RingStats.Overflows);
// operations beyond what one enter submits wait their turn inside the ring
// (RingStats.Backlog). Closing a Conn never waits for room. NewRing fails
// with an error wrapping errors.ErrUnsupported, which says why and what to
// do, when io_uring is absent or forbidden here.
func NewRing(size int) (*Ring, error) {
	if size < 0 {
		return nil, errors.New("async.NewRing: negative size")
	}
	return newRing(size)
}

// Close drops the reference NewRing returned. The ring stops (thread gone,
// descriptors closed) when the last Conn using it has closed too.
func (r *Ring) Close() error {
	r.release()
	return nil
}

// Stats returns the ring's counters.
func (r *Ring) Stats() RingStats { return ringStats(r.r) }
