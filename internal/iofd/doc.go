// Package iofd is the file-descriptor lifecycle and the one syscall loop
// every model shares, written once, after the rules of Go's internal/poll
// (fd_mutex.go, fd_unix.go, fd_poll_runtime.go):
//
//   - A reference count with a closed bit (refs.go). Every call takes a
//     reference before it touches the descriptor and drops it when done;
//     Close sets the closed bit, wakes every waiter and drops the reference
//     that "open" held. Whoever drops the last reference deregisters the
//     descriptor (Driver.Destroy: epoll DEL, signal owner reset, ring
//     cancel) and then calls close(2), exactly once. So a descriptor number
//     the kernel hands out again is never read or written by mistake.
//   - One Half per direction (half.go): a lock that serializes the calls of
//     that direction and is held across their wait, the deadline, a one-slot
//     wake-up token that a poller, dispatcher or ring thread latches with
//     Ready (so readiness that lands between EAGAIN and the wait is never
//     lost), and the counters behind iomodel.Stats.
//   - One loop (FD.do, loop_linux.go) that every operation goes through:
//     Recv and Send, the message, vector and batch calls (msg_linux.go),
//     accept and connect (dial_linux.go), sendfile and splice
//     (sendfile_linux.go, splice_linux.go) and RawConn's waits
//     (rawwait_linux.go), each an Op in the Half's Call. It checks closed
//     and deadline before every attempt (a past deadline fails even when
//     data is ready), retries EINTR, and on EAGAIN asks the model how to
//     wait; the operations around it loop over short writes, cap one call
//     at 1 GiB, send with MSG_NOSIGNAL and turn a 0-byte stream read into
//     io.EOF.
//
// # How a model plugs in
//
// A model implements one interface, Driver (model.go), in its own package,
// as a pollDesc is package net's, and hands it to New in a Config with the
// descriptor's Mode:
//
//   - Try makes one attempt: the system call with MSG_DONTWAIT (Call.Sys)
//     for nonblock, multiplex and sigdriven; the call sleeping in the kernel
//     where a signal reaches it for blocking (blocking/kernel_linux.go);
//     for async the call itself, or Skip to go to the ring at once.
//   - Wait runs after EAGAIN: park in Half.Wait until the poller, dispatcher
//     or policy says to try again (Woken), or have the kernel perform the
//     call and return its result (async's ring).
//   - Evict wakes calls that wait elsewhere than in Half.Wait, on Close and
//     on a moved deadline (blocking's shutdown(2) and SIGURG, async's
//     cancel); Destroy undoes the registration before close(2).
//
// Mode says how the descriptor is set up: Blocking (calls sleep in the
// kernel), Nonblocking (MSG_DONTWAIT on sockets, O_NONBLOCK on the rest) or
// Completion (blocking, as io_uring wants, with MSG_DONTWAIT on the loop's
// own attempts).
//
// What only some descriptors use is made on first use beside the FD (a
// listener's settings, listen.go; the zero-copy counters, zerocopy.go; the
// message headers, msg_linux.go), so that an idle stream connection costs
// about what package net's does.
//
// Errors are built as package net builds them (OpError): a *net.OpError
// whose Err is net.ErrClosed, an *os.SyscallError, or os.ErrDeadlineExceeded
// itself, the standard timeout type, which implements net.Error with
// Timeout() true, so code written against net.Conn (errors.Is, ==, type
// assertions) behaves the same on our Conns.
package iofd
