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
// # Speculation
//
// On a socket, a Conn's Send and Recv first try the copy on the caller's own
// thread: one send(2) or recv(2) with MSG_DONTWAIT. Only a call that would
// wait (EAGAIN) becomes a request on the ring, and then the kernel finishes
// it: when the caller wakes, its bytes are already in its buffer, with no
// second system call. This is the attempt io_uring itself makes when it is
// handed a request (it tries the operation at once and arms a poll only if
// it would block), made before the hand-off instead of after it, because
// for a call the kernel can finish at once, the hand-off to the ring's
// thread and back costs several times the copy. SendAsync and RecvAsync
// never speculate: they always go to the ring. WithRingOnly turns
// speculation off for a Conn, for the textbook model or to measure the ring
// alone; pipes and files always use the ring.
//
// The attempt adapts to load. A request that follows an EAGAIN is marked
// IORING_RECVSEND_POLL_FIRST, so the kernel arms its poll without trying a
// second time. And while more calls wait than there are Ps (many busy
// connections), a Recv whose previous Recv also had to wait skips the
// attempt and goes straight to the ring, marked poll-first as well: one
// system call fewer per message on the connections that wait anyway, and no
// doomed attempt on the ring's thread, the busiest one (perf at 1000
// connections: its share of all samples fell from 43% to 41.5%).
//
// # Cost
//
// A call the kernel can finish at once costs one system call, as in the
// non-blocking model. A call that must wait costs that attempt, a hand-off
// to the ring's thread and a wake-up when its completion is reaped; the ring
// makes one io_uring_enter per batch, so with many busy Conns many
// operations share a system call (RingStats.OpsPerEnter). No thread sleeps
// per waiting call: 5000 idle Recvs cost memory, not threads. Send and Recv
// allocate nothing in steady state.
//
// What makes the hand-off cheap, measured on a loaded 2-CPU machine:
//   - After waking callers, the ring's goroutine yields its P
//     (runtime.Gosched hands a locked goroutine's P to another thread)
//     before it blocks in io_uring_enter; otherwise the woken callers wait in
//     that P's run queue for sysmon to retake it. This alone took the 64-byte
//     round trip (ring only) from about 150 µs to about 33 µs.
//   - While fewer requests than Ps are active, a caller polls its
//     completion for up to 50 µs (yielding between polls) before it parks,
//     and the ring's thread polls for new work for up to 10 µs before it
//     sleeps; a request that completes within that window costs no wake-up.
//   - A parked caller sleeps on one channel, its direction's wake-up token,
//     on which the ring signals its completion and Close and SetDeadline
//     signal theirs (a three-way select before, whose channel locks were 7%
//     of all samples at 1000 connections).
//   - The ring's thread does as little per completion as it can: the caller
//     unpins its own buffer, and the shared counters are updated once per
//     batch (its time reaping fell by about a third at 1000 connections).
//
// With speculation, a one-connection 64-byte round trip costs about what
// the blocking model's does, under half of net.Conn's; through the ring
// alone (WithRingOnly) it is two to three times net.Conn's, the price of
// two hand-offs. See README.md for the figures.
//
// With many busy connections the ring's thread is the limit. io_uring runs
// a request's completion work (for a RECV, the copy out of the socket) on
// the thread that owns the ring, so one thread receives for every
// connection, where under multiplex or net.Conn each receiver copies its own
// data on whatever CPU it runs on. Measured at 1000 echoing connections on
// two CPUs (perf, 200 000 messages): the owner's thread took 43% of all
// samples; of its system time, two thirds is the socket receive itself
// (unix_stream_recvmsg) and one third io_uring's submission, poll and
// completion work. It was never idle but while it waited for its P: a
// goroutine locked to its thread cannot run the callers it wakes, so when
// it has nothing to submit it hands its P over, and waits in the
// scheduler's global queue, which is looked at once every 61 goroutines run
// or when a run queue empties (about 180 µs a time). While work keeps
// coming it keeps its P, and the other P steals the callers it wakes.
//
// Over several runs async delivered 1.3 to 1.5 times net.Conn's messages
// per second at 1000 connections, and 0.9 to 1.05 times the multiplex
// model's at 100 and 1000: level with it, within this machine's drift. It
// spends no more CPU per message than multiplex (4% less at 100
// connections; at 1000 between 8% less and 4% more: the echo benchmark's
// cpu-ns/msg) but keeps fewer CPUs busy (1.8 of 2, against 1.95). Most of
// that idle time follows the owner's hand-overs: the thread each one wakes
// lands on the busy CPU while the other falls idle (see README.md). A
// machine with more CPUs than busy goroutines changes the balance; two
// vCPUs shared with the benchmark's own goroutines does not.
//
// Measured worse, or no better, on the same machine:
//   - two rings, one thread each (twice the hand-overs);
//   - an unlocked owner on a plain ring (completion work then interrupts
//     whichever thread submitted);
//   - IORING_SETUP_SQPOLL (a kernel thread that polls the queue competes
//     for the same two CPUs);
//   - a timed sleep in place of the hand-over (the one-connection echo went
//     from 13 to 32 µs);
//   - the first caller woken resuming the owner, in place of the global
//     queue (24 to 45 µs at one connection, no gain at 100 or 1000);
//   - handing the P over after every 16, 64 or 256 callers woken, even
//     while work keeps coming (5.2 to 7.6 µs per message at 100
//     connections and 8.4 to 12.5 at 1000, against 4.5 and 5.9);
//   - under load, trying every Recv before the ring (more system calls,
//     and the ring still does the copy);
//   - one multishot RECV per connection into buffers the ring provides
//     (IORING_RECV_MULTISHOT, Recv copying out of them): no request per
//     message, yet over six paired rounds 4.2 and 5.8 µs per message at 100
//     and 1000 connections against this design's 4.2 and 5.3, since the
//     copy stays on the ring's thread and the owner still wakes every
//     receiver.
//
// # When to pick it
//
// A program that wants many operations in flight without a goroutine each
// (SendAsync, RecvAsync); reads and writes of regular files that must not
// hold a thread per call; or many connections where system calls are dear
// (one per message or fewer, where multiplex makes three), given CPUs to
// spare for the ring's thread. For raw throughput over many connections on
// a small machine, multiplex is as fast and steadier (see Cost).
//
// # When io_uring is unavailable
//
// New, Dial, Listen and NewRing fail with an error wrapping
// errors.ErrUnsupported that says why (kernel too old; a seccomp filter such
// as Docker's default profile; the sysctl kernel.io_uring_disabled; an LSM)
// and what to do. There is no silent fallback to another model.
package async
