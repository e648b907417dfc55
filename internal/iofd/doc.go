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
//   - The syscall loops (loop_linux.go, and beside it msg_linux.go,
//     dial_linux.go, sendfile_linux.go, rawwait_linux.go): check closed and deadline before every
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
// A model package is then only what is particular to its model, handed to
// New in a Config:
//
//   - Mode: how the descriptor is set up and its calls made: Blocking
//     (the call sleeps in the kernel, with a socket timeout and a signal
//     to reach it, kernel_linux.go), Nonblocking (MSG_DONTWAIT or
//     O_NONBLOCK) or Completion (io_uring performs the call).
//   - Waiter: how a call waits after EAGAIN (a Poller's wake-up, a
//     signal, a back-off policy); a Waiter that is also a Completer
//     (waiter.go) has the kernel perform the call instead.
//   - Hooks: what Close must do to unblock calls that sleep elsewhere than
//     in Half.Wait (Evict) and what must be undone before close(2)
//     (Destroy).
//
// What only some descriptors use is made on first use beside the FD (a
// listener's settings, listen.go; the zero-copy counters, zerocopy.go;
// the message headers, msg_linux.go), so that an idle stream connection
// costs little more than package net's.
package iofd
