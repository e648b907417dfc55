// Package async is the asynchronous I/O model of Stevens' Unix Network
// Programming (section 6.2), made real with io_uring: the caller hands the
// whole operation ("receive into this buffer") to the kernel, and the
// kernel reports when the copy is done. No readiness, no retry: one
// request, one completion. It builds on every platform Go supports and runs
// on Linux, where io_uring is; elsewhere New, Dial, Listen and NewRing fail
// with an error wrapping errors.ErrUnsupported.
//
// # How it works
//
// io_uring (io_uring(7)) is a pair of rings shared with the kernel:
// requests go in the submission queue, results come out of the completion
// queue. It is spoken here from raw system calls, without cgo. One
// goroutine, locked to its own OS thread, owns each Ring and makes every
// io_uring_enter(2) call: callers hand it their requests and park; it
// submits everything handed to it since its last call in one enter, waits
// there for completions and wakes the callers whose requests completed.
//
// Send and Recv run the loop every model of this module shares. On a
// socket they first try the copy on the caller's own thread (send(2) or
// recv(2) with MSG_DONTWAIT, "speculation"): only a call that would wait
// becomes a request on the ring (IORING_OP_SEND with MSG_NOSIGNAL, or RECV,
// marked IORING_RECVSEND_POLL_FIRST since it just saw EAGAIN), and when the
// caller wakes its bytes are already in its buffer. While more calls wait
// than there are Ps, a Recv whose previous Recv waited goes straight to the
// ring. Pipes and files always use the ring (READ, WRITE); WithRingOnly
// puts every call of a Conn there, the textbook model. Dial is a CONNECT
// request. Accept takes a connection already waiting with accept4(2) on the
// caller's thread, as package net does, and waits for one with POLL_ADD on
// the ring (an ACCEPT request with WithRingOnly): with thousands of clients
// connecting at once, a ring round trip per connection left the last ones
// waiting seconds to be accepted. A PacketConn's ReadBatch and WriteBatch that
// must wait are one submission: a chain of RECVMSGs or SENDMSGs linked in
// order (IOSQE_IO_LINK), the first waiting and the others not, so the batch
// returns the datagrams already there behind the first, as recvmmsg(2) does.
//
// A deadline is a linked timeout (IORING_OP_LINK_TIMEOUT); Close, or a
// deadline moved while a call is pending, cancels the request
// (IORING_OP_ASYNC_CANCEL). Either way the call returns only after every
// completion of its request has been reaped, so the kernel never writes
// into a buffer the caller has taken back; buffers are pinned while the
// kernel owns them, and the kernel sees slot numbers, never Go pointers.
//
// Beside Conn, SendAsync and RecvAsync return an Op at once, so that one
// goroutine can keep many operations in flight, on one Conn or many, and
// collect them with Op.Wait or Op.Done. They never speculate.
//
// # Cost
//
// A call the kernel can finish at once costs one system call, as in the
// non-blocking model. A call that must wait costs that attempt, a hand-off
// to the ring's thread and a wake-up when its completion is reaped; the
// ring makes one io_uring_enter per batch, so with many busy Conns many
// operations share a system call (RingStats.OpsPerEnter). No thread sleeps
// per waiting call: idle Recvs cost memory, not threads, and the ring's
// size does not bound them, descriptors and memory do. Each waiting call
// holds a request in the kernel (256 bytes and its poll) and a slot of the
// ring's (under 200 bytes), beside its goroutine; completions that find the
// completion queue full wait in kernel memory until the ring's thread
// reaps them, and what arrives faster than one io_uring_enter submits
// waits inside the ring, which RingStats shows (Backlog, MaxBacklogWait).
// Send and Recv allocate nothing. The ring's thread performs every completion's copy,
// so with many busy connections it is the limit: on a small machine async
// keeps level with multiplex, not ahead of it.
//
// # When to pick it
//
// A program that wants many operations in flight without a goroutine each
// (SendAsync, RecvAsync); reads and writes of regular files that must not
// hold a thread per call; or many connections where system calls are dear
// (one per message or fewer, where multiplex makes three), given CPUs to
// spare for the ring's thread. For raw throughput over many connections on
// a small machine, multiplex is as fast and steadier.
//
// New, Dial, Listen and NewRing fail with an error wrapping
// errors.ErrUnsupported that says why and what to do when io_uring is
// unavailable (kernel too old; a seccomp filter such as Docker's default
// profile; the sysctl kernel.io_uring_disabled; an emulator such as
// qemu-user). There is no silent fallback to another model.
//
// # The Engine
//
// NewEngine gives the model in the loop shape (iomodel.Handler): the seed's
// "the kernel completes the I/O and calls the program back". Each loop (one
// per CPU by default) is a goroutine locked to its thread that owns a ring
// and makes its own io_uring_enter calls: one multishot ACCEPT per
// listener, one multishot RECV per connection into the loop's
// provided-buffer ring, so the kernel picks a buffer only when data
// arrives and an idle connection holds none, and SENDs of each
// connection's queued output. One enter submits every SEND the last
// completions asked for and waits for the next, bounded by the loop's
// timers; Write and Close from other goroutines wake it through an
// eventfd. Where the kernel lacks provided-buffer rings or multishot
// receive, a loop falls back to a one-shot POLL_ADD per connection and
// recv(2) into one buffer of its own.
//
// Against a Conn, the Engine spends no goroutine, stack or buffer on an
// idle connection and no hand-off to another thread per message: on
// 64-byte echo it used about two thirds of the CPU per message of a
// goroutine per Conn. Pick it for many connections with small messages;
// pick Conn for code that reads like blocking I/O, or Detach to it from
// the Engine for work that must block.
//
// The design note README.md, beside this file, has the measurements behind
// these choices and the designs measured and dropped.
package async
