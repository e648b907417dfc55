// Package uring is io_uring from raw system calls: no cgo, no liburing.
//
// The files, one job each:
//   - abi.go mirrors <linux/io_uring.h>;
//   - setup_linux.go creates a ring (io_uring_setup(2)) with the best flags
//     the kernel accepts, checks its features and opcodes
//     (IORING_REGISTER_PROBE) and turns refusal into an *UnsupportedError
//     (unsupported.go) that names the cause and the fix;
//   - queue.go is the submission and completion queues and their memory
//     ordering, queue_linux.go maps them and enters the kernel; prep.go
//     fills one SQE per opcode;
//   - req.go is the Req, one request, and its Prep and Set methods;
//   - config.go is the Config that sizes a ring and the Stats it keeps;
//   - ring.go is the Ring: its references, and Submit, which hands a
//     request to the owner and wakes it if it sleeps (ring_linux.go: New,
//     and the eventfd write);
//   - loop_linux.go is the owner goroutine, locked to its thread, which
//     makes every io_uring_enter(2) call, batching the requests callers hand
//     it, and nextWait, its policy for how to wait next (spin, nap or sleep);
//   - backlog.go and backlog_linux.go hold requests until the SQ has room
//     for them, and handle cancels (Cancel, CancelFD);
//   - chain.go is SubmitChain: requests linked with IOSQE_IO_LINK, which
//     the backlog moves into the SQ whole, for one enter (Submit is a chain
//     of one);
//   - reap_linux.go takes completions and signals their callers;
//   - tracker.go is the Tracker, which counts requests in flight for whoever
//     must outlive them; default.go is the shared ring;
//   - eventring_linux.go is the EventRing, a ring its owner drives itself
//     for an event loop (multishot requests, user_data of its own), with
//     abi_event.go and prep_event.go its kernel pieces; bufring_linux.go is
//     a provided-buffer ring (IORING_REGISTER_PBUF_RING).
//
// The package compiles on every platform, and runs on Linux only. Files
// that use package unix (system calls, and errno values, which differ
// between Linux architectures) end in _linux.go; the types, and what
// callers run, are in platform-neutral files. Off Linux, ring_other.go's New
// returns platform.Unsupported("async", "NewRing"), so no Ring ever exists
// there, and its two other functions only let the neutral files compile.
// Only on Linux: Req.Sockaddr (it returns a *unix.RawSockaddrAny).
//
// A Req never travels to the kernel as a pointer: user_data is a slot index,
// a kind and the slot's generation. A Req's buffer is pinned (runtime.Pinner)
// from Submit until every CQE of the request, its linked timeout's included,
// has been reaped, and only then is it marked completed and its Done channel
// signalled.
//
// Requests in flight are bounded by memory, not by the CQ: the CQ holds the
// completions posted and not yet reaped, and one that finds it full waits
// in kernel memory (IORING_FEAT_NODROP, required) until the owner reaps and
// the next io_uring_enter moves it in. Idle connections' requests never
// complete, so a bound on them starved every request past it
// (Config.MaxInFlight keeps one, for tests). What does not fit the SQ
// waits in the owner's backlog for the next enter; Stats reports its
// length and its longest wait.
//
// A cancel is never dropped: one that finds no room in the SQ is held back
// and tried again every round, before the backlog moves, until its
// request has completed. A request cancelled while it is still in the
// backlog completes with -ECANCELED at once, without the kernel, and leaves
// the backlog, so the owner never reads a Req its caller may be preparing
// again.
//
// The owner's loop, and what measurement on a shared 2-CPU machine taught:
//   - take what callers handed over (under a mutex, two slices swapped),
//     process cancels, move the backlog into the SQ;
//   - if callers were woken since the last wait, runtime.Gosched before
//     waiting: a locked goroutine's Gosched hands its P, with the woken
//     callers in its run queue, to another thread at once, where blocking in
//     io_uring_enter would leave them to sysmon (20 µs to 10 ms). Without it
//     a 64-byte round trip took about 150 µs instead of about 33 µs;
//   - poll for up to 10 µs for new work or completions (IORING_SQ_TASKRUN
//     says completion work is waiting) before sleeping;
//   - io_uring_enter(to_submit, 1, GETEVENTS), then reap. If the last wait
//     reaped completions, the wait is a nap: it also ends after 20 µs
//     (IORING_ENTER_EXT_ARG), and callers that hand over work meanwhile do
//     not write the eventfd, since the owner comes back on its own. On a
//     busy ring that write, and the READ it completes and re-arms, had cost
//     1.6 wake-ups per echo message at 100 Conns; naps took it to about 0.
//     A wait that reaps nothing makes the next one deep, woken only by a
//     completion or the eventfd.
//
// Callers that find the ring lightly loaded poll their request for up to
// 50 µs (Ring.Spin) before they park; a request that completes meanwhile
// costs no wake-up at all.
package uring
