// Package nonblock is the second of Stevens' five I/O models: a call never
// sleeps in the kernel. When there is no data (or no room) the kernel says
// EAGAIN at once, and the caller decides how to wait before asking again.
//
// How it works: sockets get MSG_DONTWAIT on every recv(2) and send(2), so
// the descriptor's shared open file description keeps its flags; pipes,
// FIFOs and ttys, whose read(2) and write(2) have no per-call flag, get
// O_NONBLOCK. TrySend and TryRecv are the model in its bare form: one
// system call, and ErrWouldBlock if the kernel had nothing. Send and Recv
// loop over EAGAIN under a Policy: retry at once a few times (spin), then
// retry after runtime.Gosched (yield), then sleep with a capped exponential
// back-off. Close and deadlines reach a waiting call at once: the back-off
// sleep also wakes on them.
//
// What it costs: no thread sleeps in the kernel, but the process does not
// learn when data arrives; it finds out by asking. Spinning buys latency
// with CPU, sleeping buys CPU with latency, and every "not yet" is a system
// call. The Stats' WouldBlock counter shows how many were wasted.
//
// When to pick it: polling a few descriptors from a loop that has other work
// to do (a game loop, a simulation step), or when the wait is known to be
// short; for many idle connections, pick multiplex, sigdriven or async.
//
// The default Policy (see DefaultPolicy) answers a peer that replies within
// tens of microseconds without sleeping, and keeps the cost of an idle Recv
// small; the measurements behind it are in the design note, README.md
// beside this file.
//
// The loop shape: NewEngine serves the model as the seed draws it, loops
// that ask every connection in turn (recv(2) with MSG_DONTWAIT) and call a
// Handler with what they got (see iomodel.Handler), and that back off under
// an EnginePolicy when a whole round found nothing. Under load it costs
// about four fifths of a Conn's CPU per message (no goroutine and no
// back-off sleep per connection, one read buffer per loop) and serves
// every connection once per round, but every round asks the idle
// connections too: an idle Engine spends about one recv(2) per connection
// per nap (2 ms by default), a steady share of a CPU that grows with the
// connection count, where an idle Conn spends one per its own back-off.
// Pick the Engine for a moderate number of busy connections, or when the
// loop has other work to interleave with the asking; for many mostly idle
// connections pick multiplex, sigdriven or async, whose Engines sleep until
// the kernel reports readiness.
//
// The package builds on every platform Go supports, so that programs that
// import it build everywhere; it runs on Linux, and elsewhere New, Dial and
// Listen fail with an error wrapping errors.ErrUnsupported.
package nonblock
