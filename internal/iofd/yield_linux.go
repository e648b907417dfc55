package iofd

import (
	"runtime"

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
func ShouldYield(attempt int) bool {
	return attempt < YieldSpins && !Crowded()
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
func YieldThread() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
