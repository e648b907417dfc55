// Package iofd is the file-descriptor lifecycle every model shares, written
// once, after the rules of Go's internal/poll (fd_mutex.go, fd_unix.go):
//
//   - A reference count with a closed bit (refs.go). Every call takes a
//     reference before it touches the descriptor and drops it when done;
//     Close sets the closed bit, wakes every waiter and drops the reference
//     that "open" held. Whoever drops the last reference deregisters the
//     descriptor (Hooks.Destroy: epoll DEL, signal owner reset, ring cancel)
//     and then calls close(2), exactly once. So a descriptor number the
//     kernel hands out again is never read or written by mistake.
//   - One Half per direction (half.go): a lock that serializes the calls of
//     that direction and is held across their wait, the deadline, a one-slot
//     wake-up token that a poller, dispatcher or ring thread latches with
//     Ready (so readiness that lands between EAGAIN and the wait is never
//     lost), and the counters behind iomodel.Stats.
//   - The syscall loops (loop.go): check closed and deadline before every
//     system call (a past deadline fails even when data is ready), retry
//     EINTR, loop over short writes, cap one call at 1 GiB, send with
//     MSG_NOSIGNAL, turn a 0-byte stream read into io.EOF, and on EAGAIN ask
//     the model's Waiter how to wait.
//
// Errors are built as package net builds them (OpError): a *net.OpError
// whose Err is net.ErrClosed, an *os.SyscallError, or os.ErrDeadlineExceeded
// itself. The design asked for a timeout type of our own wrapping
// os.ErrDeadlineExceeded; the standard one already is a concrete type that
// implements net.Error with Timeout() true, and using it means code written
// against net.Conn (errors.Is, ==, type assertions) behaves the same on our
// Conns.
//
// A model package is then only what is particular to its model: how it
// waits (a Waiter), what it must undo before close(2) (Hooks), and its own
// API beside Conn.
package iofd
