// Package async is the asynchronous I/O model of Stevens' Unix Network
// Programming (section 6.2, "asynchronous I/O model"), made real with
// io_uring: the caller hands the whole operation — "receive into this
// buffer" — to the kernel, and the kernel reports when the copy is done. No
// readiness, no retry: one request, one completion.
//
// # How it works
//
// io_uring (io_uring(7)) is a pair of rings shared with the kernel: requests
// go in the submission queue, results come out of the completion queue. Here
// it is spoken from raw system calls (no cgo, no liburing) by
// internal/uring. One goroutine, locked to its own OS thread, owns each ring
// and makes every io_uring_enter(2) call: callers hand it their requests and
// park on a channel; it submits everything handed to it since its last call
// in one io_uring_enter, waits there for completions, and wakes the callers
// whose requests completed. A caller that arrives while the owner sleeps
// wakes it through an eventfd on which a READ is always armed on the ring.
// The ring is set up with IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN where the
// kernel has it (6.1), so completion work runs on the owner's thread only
// when it asks for events.
//
// A Conn's Send and Recv are one request each (IORING_OP_SEND/RECV with
// MSG_NOSIGNAL on sockets, IORING_OP_READ/WRITE on pipes and files). A
// deadline becomes a linked timeout (IORING_OP_LINK_TIMEOUT); a deadline
// moved while the call is pending, or Close, cancels the request
// (IORING_OP_ASYNC_CANCEL). In every case the call returns only after the
// request's completion — and its timeout's — has been reaped: the kernel never
// writes into a buffer the caller has taken back. Buffers are pinned
// (runtime.Pinner) while the kernel owns them, and the kernel sees slot
// numbers, never Go pointers.
//
// Beside Conn, SendAsync and RecvAsync return an Op right away, so one
// goroutine can keep many operations in flight (on one Conn or many) and
// collect them with Op.Wait or Op.Done. Dial and Listener.Accept use
// IORING_OP_CONNECT and IORING_OP_ACCEPT.
//
// # Cost
//
// A call costs a hand-off to the ring's thread and back (two goroutine
// switches), and the ring makes one io_uring_enter per batch: with many busy
// Conns many operations share one system call (RingStats.OpsPerEnter). No
// thread sleeps per waiting call: thousands of idle Recvs cost memory only.
// Send and Recv allocate nothing in steady state.
//
// # When to pick it
//
// Many connections with traffic on many of them at once, where batching
// pays; or a program that wants many operations in flight without a
// goroutine each. For one connection doing ping-pong, the hand-off makes it
// no faster than the blocking model.
//
// # When io_uring is unavailable
//
// New, Dial, Listen and NewRing fail with an error wrapping
// errors.ErrUnsupported that says why (kernel too old; a seccomp filter such
// as Docker's default profile; the sysctl kernel.io_uring_disabled; an LSM)
// and what to do. There is no silent fallback to another model.
package async
