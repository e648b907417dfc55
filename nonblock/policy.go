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
// runtime.Gosched (fewer when more calls wait than there are CPUs, or once
// the yields have lasted half a millisecond), then a wait in the package's
// poller, which asks about every waiting descriptor in turn and naps
// between turns that found none ready, from MinSleep doubling up to
// MaxSleep (see the package doc). The wait ends early when the Conn is
// closed or its deadline changes or passes.
type Policy struct {
	Spins    int
	Yields   int
	MinSleep time.Duration
	MaxSleep time.Duration
}

// DefaultPolicy is the Policy of a Conn made without WithPolicy: 200
// yields, then the poller, napping from 50 µs doubling to 2 ms.
//
// Each yield is runtime.Gosched, a sched_yield(2) and one more try: the
// peer that will answer is usually a thread just woken on this CPU, and
// giving it the CPU lets it answer at once, where spinning would keep the
// CPU from it. The yields cover a peer that answers within a few hundred
// microseconds; the naps (Go's timers round short ones up to about 1 ms)
// bound what an idle Recv costs. How the numbers were chosen, and what
// they cost, is in the design note, README.md beside this file.
var DefaultPolicy = Policy{Spins: 0, Yields: 200, MinSleep: 50 * time.Microsecond, MaxSleep: 2 * time.Millisecond}

// Spin is a Policy that never sleeps: lowest latency, a whole core while
// waiting (the call never reaches the poller).
var Spin = Policy{Spins: math.MaxInt}

func (p Policy) validate() error {
	if p.Spins < 0 || p.Yields < 0 || p.MinSleep < 0 || p.MaxSleep < 0 {
		return fmt.Errorf("nonblock: invalid Policy %+v: counts and durations must not be negative", p)
	}
	return nil
}

// waiter is a Policy at work: the iofd.Waiter of a Conn or Listener.
type waiter struct {
	p      Policy
	poller *poller
	// Per direction (iofd.Dir), under that Half's lock: the one call
	// waiting in the poller, and when the call began to yield.
	waits   [2]pollWait
	yielded [2]time.Time
	// The call (the Half's call count) and attempt that last waited in
	// the poller.
	polledCall [2]uint64
	polled     [2]int
}

func newWaiter(p Policy) waiter { return waiter{p: p, poller: pollerFor(p)} }

// yieldFor is the longest a call yields before it waits in the poller,
// whatever its Policy's Yields: with many goroutines runnable, each
// runtime.Gosched waits for all of them, and yields that should have
// covered a few hundred microseconds took seconds, spent by every waiting
// call at once.
const yieldFor = 500 * time.Microsecond

// Wait is one step of the Policy: a retry at once, a yield, or a wait in
// the poller.
func (w *waiter) Wait(fd *iofd.FD, h *iofd.Half, attempt int) error {
	p := &w.p
	if attempt < p.Spins {
		return nil
	}
	if y := attempt - p.Spins; y < p.Yields && !iofd.Crowded() { // attempt ≥ Spins: no overflow
		now := time.Now()
		if y == 0 {
			w.yielded[h.Dir()] = now
		}
		if now.Sub(w.yielded[h.Dir()]) < yieldFor {
			// Let other goroutines run, then let other threads have
			// the CPU: the peer that will answer is often a thread
			// just woken on this CPU (see iofd.YieldSpins). Without
			// the second, a round trip cost 4× net.Conn's; with it,
			// the same. With more calls waiting than CPUs (Crowded)
			// the CPUs have other work, and the call goes to the
			// poller at once.
			runtime.Gosched()
			iofd.YieldThread()
			return nil
		}
	}
	d, pw, call := h.Dir(), &w.waits[h.Dir()], h.Stats().Calls
	switch {
	case call != w.polledCall[d] || attempt <= w.polled[d]:
		pw.quiet = 0 // a new call
	case pw.revents != 0 && pw.revents&^pollErr == 0:
		// poll(2) always reports POLLERR, and an error queue
		// (IP_RECVERR) keeps it set while recv(2) finds nothing: after
		// one such wake-up, the rest of this call waits for data.
		pw.quiet = pollErr
	}
	w.polledCall[d], w.polled[d] = call, attempt
	w.poller.wait(pw, fd.Sysfd, h)
	return nil
}
