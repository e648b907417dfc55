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
// Deadlines and Close have limits this model cannot hide. Deadlines work on
// sockets through SO_RCVTIMEO and SO_SNDTIMEO (socket(7)), armed at the start
// of each call: a deadline moved while a call already sleeps does not reach
// that call. On pipes, FIFOs and ttys there are no deadlines
// (os.ErrNoDeadline). Close wakes a call sleeping on a socket with
// shutdown(2); a call sleeping on a pipe cannot be woken, so the descriptor is
// closed when that call returns by itself, as with os.File.
package blocking
