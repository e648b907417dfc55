package iofd

import (
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// YieldSpins is how many times a readiness model retries a call that would
// block, each after YieldThread, before it parks the goroutine to wait for
// its poller, dispatcher or ring. ShouldYield says when to.
//
// Why: a send(2) to a peer thread that sleeps in recv(2) wakes that thread,
// and the kernel likes to put it on the sender's CPU (sched(7), wake
// affinity). If the sender then parks, the answer has to travel back
// through another thread (the poller's) and a goroutine hand-off; if it
// gives up its CPU for a moment instead, the peer runs there at once, and
// the retry finds the answer. Measured with BenchmarkRoundTrip64 on 2
// cores: the multiplex round trip went from about 2× net.Conn's to par, and
// the nonblock one from 4× to par.
const YieldSpins = 2

// ShouldYield reports whether a call that has seen attempt EAGAINs should
// retry after YieldThread rather than park. It does so only while few calls
// are parked (no more than GOMAXPROCS): with many connections waiting, the
// process has other work for its CPUs, answers come through the poller in
// batches, and the extra system calls only cost (measured: 20% fewer echo
// messages per second over 100 connections with the spin than without).
//
// Nor does it while the CPUs are shared with other work (yieldsOff): a
// yield then hands the CPU to whatever else is runnable, for its whole
// time slice, while this thread holds its P.
func ShouldYield(attempt int) bool {
	return attempt < YieldSpins && !Crowded() && !yieldsOff()
}

// A yield that comes back later than slowYield found the CPU wanted by
// something other than the peer it meant to let run (another process, a
// CPU hog, the load generator), and held this thread's P meanwhile. When
// slowPerWindow of the last yieldWindow yields were slow, yields are off
// for yieldBackoff: a rate, not one slow yield, tells a shared machine
// from a noisy one. The measurements are in README.md beside this file.
const (
	slowYield     = 200 * int64(time.Microsecond)
	yieldWindow   = 256
	slowPerWindow = 8
	yieldBackoff  = int64(time.Second)
)

// yields and slowYields count the yields of the current window and the
// slow ones among them; the counts are approximate under concurrency,
// which a rate threshold tolerates.
var yields, slowYields atomic.Int32

// yieldsOffUntil is the monotonic time (nanotime) until which yields are
// off.
var yieldsOffUntil atomic.Int64

func yieldsOff() bool {
	until := yieldsOffUntil.Load()
	return until != 0 && nanotime() < until
}

// Crowded reports whether more calls are parked, across every model, than
// there are Ps (GOMAXPROCS): the process has many connections waiting, and
// a call that must wait had better hand over its wait at once than try
// again first.
func Crowded() bool {
	return parked.Load() > yieldLimit
}

// yieldLimit is GOMAXPROCS read once: runtime.GOMAXPROCS(0) takes the
// scheduler's global lock, too dear for every wait, and the threshold is a
// hint that need not follow later changes.
var yieldLimit = int64(runtime.GOMAXPROCS(0))

// YieldThread gives this OS thread's CPU to any other runnable thread
// (sched_yield(2)) and returns. The goroutine keeps its place: it is a
// pause, not a park. It is a raw system call on purpose: sched_yield never
// blocks, and telling the runtime about it would let sysmon hand the
// processor to a new thread meanwhile; with thousands of waiting Conns
// that grew the process by a thread for each few yields.
//
// Yields that come back late turn yields off for a while (ShouldYield).
func YieldThread() {
	t0 := nanotime()
	unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	yielded(t0, nanotime())
}

// yielded notes a yield from t0 to t; the slowPerWindow-th slow one of a
// window turns yields off until yieldBackoff after t.
func yielded(t0, t int64) {
	if t-t0 > slowYield && slowYields.Add(1) >= slowPerWindow {
		yieldsOffUntil.Store(t + yieldBackoff)
		yields.Store(0)
		slowYields.Store(0)
		return
	}
	if yields.Add(1) >= yieldWindow {
		yields.Store(0)
		slowYields.Store(0)
	}
}

// nanotime is monotonic time in nanoseconds.
func nanotime() int64 { return int64(time.Since(epoch)) }

var epoch = time.Now()
