package nonblock

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Policy is how a Send or Recv waits between attempts that returned
// EAGAIN: first Spins retries at once, then Yields retries each after
// runtime.Gosched, then sleeps that start at MinSleep and double up to
// MaxSleep. A sleep ends early when the Conn is closed or its deadline
// changes or passes.
type Policy struct {
	Spins    int
	Yields   int
	MinSleep time.Duration
	MaxSleep time.Duration
}

// DefaultPolicy is the Policy of a Conn made without WithPolicy: 200
// yields, then sleeps from 50 µs doubling to 2 ms.
//
// Each yield is runtime.Gosched, a sched_yield(2) and one more try: the
// peer that will answer is usually a thread just woken on this CPU, and
// giving it the CPU lets it answer at once, where spinning would keep the
// CPU from it. The yields cover a peer that answers within a few hundred
// microseconds; the sleeps (Go's timers round short ones up to about 1 ms)
// bound what an idle Recv costs. How the numbers were chosen, and what
// they cost, is in the design note, README.md beside this file.
var DefaultPolicy = Policy{Spins: 0, Yields: 200, MinSleep: 50 * time.Microsecond, MaxSleep: 2 * time.Millisecond}

// Spin is a Policy that never sleeps: lowest latency, a whole core while
// waiting.
var Spin = Policy{Spins: math.MaxInt}

func (p Policy) validate() error {
	if p.Spins < 0 || p.Yields < 0 || p.MinSleep < 0 || p.MaxSleep < 0 {
		return fmt.Errorf("nonblock: invalid Policy %+v: counts and durations must not be negative", p)
	}
	return nil
}

// waiter is a Policy at work: the iofd.Waiter of a Conn or Listener.
type waiter struct{ p Policy }

// Wait is one step of the back-off.
func (w *waiter) Wait(fd *iofd.FD, h *iofd.Half, attempt int) error {
	p := &w.p
	switch {
	case attempt < p.Spins:
		return nil
	case attempt-p.Spins < p.Yields: // attempt ≥ Spins: no overflow
		// Let other goroutines run, then let other threads have the
		// CPU: the peer that will answer is often a thread just woken
		// on this CPU (see iofd.YieldSpins). Without the second, a
		// round trip cost 4× net.Conn's; with it, the same.
		runtime.Gosched()
		iofd.YieldThread()
		return nil
	}
	d := p.MaxSleep
	if k := attempt - p.Spins - p.Yields; k < 30 && p.MinSleep<<k < d {
		d = p.MinSleep << k
	}
	if d <= 0 {
		d = time.Millisecond
	}
	h.Wait(d)
	return nil
}
