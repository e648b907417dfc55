// Package blocking is the first of Stevens' five I/O models: a Recv or Send
// sleeps inside read(2) or write(2) until the kernel has data or room, and
// returns when the copy is done.
//
// How it works: the descriptor is put in blocking mode and every call is one
// plain system call (plus a loop over short writes). The Go runtime notices
// the goroutine is in a system call and hands its processor to another
// thread, so each call that waits holds one OS thread for as long as it
// waits.
//
// What it costs: the fewest system calls and the lowest latency of the five
// models for a few busy connections (no readiness step, no wake-up hand-off),
// but one OS thread per waiting call: ten thousand idle connections are ten
// thousand threads.
//
// When to pick it: a handful of connections, each with its own goroutine,
// where latency matters more than scale; or descriptors the other models
// cannot drive (regular files, where readiness means nothing).
//
// The limit this model sets under load: a call that comes back from
// sleeping in the kernel needs a P (a Go processor) again, and when every P
// is busy the runtime queues it on its global run queue, which a busy P
// looks at only once in 61 scheduling rounds. A server whose CPUs are
// saturated therefore serves the connections whose calls happen to come
// back while a P is free, and keeps the others waiting: under net/http and
// wrk at 100 connections on 2 CPUs, the slowest 1% of requests took
// hundreds of milliseconds where net's took a few (the figures, and the
// trace behind them, are in the design note, README.md beside this file).
// No change inside the model removes this; fewer connections than CPUs, or
// a readiness model, does.
//
// Deadlines are socket timeouts (SO_RCVTIMEO, SO_SNDTIMEO, socket(7)),
// armed from the time left before each system call. A deadline set while a
// call already sleeps reaches it too: the call records the thread it sleeps
// on, and SetDeadline sends that thread SIGURG, the signal the Go runtime
// already handles on every thread. signal(7) says a socket call with a
// timeout set is never restarted after a signal handler, so the call fails
// with EINTR, re-arms its timeout from the new deadline and sleeps again; a
// call that keeps being interrupted by other signals still ends at its
// deadline. The cost is a gettid(2) per call, a setsockopt(2) per call that
// has a deadline, and a signal per deadline moved under a sleeping call. It
// cannot apply to pipes, FIFOs, ttys and files, which have no timeout
// option and whose read(2) the kernel restarts after a signal: on them
// SetDeadline fails with an error wrapping os.ErrNoDeadline. Close wakes a
// call sleeping on a socket with shutdown(2); a call sleeping on a pipe
// cannot be woken, so the descriptor is closed when that call returns by
// itself, as with os.File.
//
// The package builds on every platform Go supports, so that programs that
// import it build everywhere; it runs on Linux, and elsewhere New, Dial and
// Listen fail with an error wrapping errors.ErrUnsupported.
package blocking
