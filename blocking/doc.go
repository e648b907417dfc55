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
// What it costs: one plain system call per Send or Recv whose data or room
// is there, and one OS thread per call that waits: ten thousand idle
// connections are ten thousand threads. A call that waits pays for the
// kernel's sleep and wake-up and for the runtime handing its processor
// back, so its round trip is slower than the models that wait in user
// space (about twice nonblock's in the in-process round trip), and under
// a real server's load it answers about half of net's requests per second
// (the figures, with their commands, are in the design note README.md
// beside this file).
//
// When to pick it: a handful of connections, each with its own goroutine,
// where simple code matters more than scale; or descriptors the other
// models cannot drive (regular files, where readiness means nothing).
//
// Under load: a call that sleeps in the kernel keeps its P (a Go
// processor) until the runtime's monitor takes it back, and a call back
// before then takes it up again at once, while the calls whose P was taken
// queue for one: left alone, a few quickly answered connections kept every
// P of a server and the others starved. So a call that slept gives up its
// P when it comes back (runtime.Gosched), behind the others.
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
// The loop shape: NewEngine calls a Handler (see iomodel.Handler) from a
// goroutine per connection that sleeps in recv(2), as a Conn's reader
// would; no loop is shared, so a handler that blocks holds up only its own
// connection. It costs what a Conn costs per message, since the model's
// cost is the same in both shapes: a thread's sleep and wake-up per
// message, a thread per sleeping connection (8000 connections at most),
// and the yield after each sleep that keeps it fair. Pick it for a
// program written as callbacks whose work blocks, with few connections;
// for many, pick a model whose Engine shares loops.
//
// The package builds on every platform Go supports, so that programs that
// import it build everywhere; it runs on Linux, and elsewhere New, Dial and
// Listen fail with an error wrapping errors.ErrUnsupported.
package blocking
