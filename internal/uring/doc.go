// Package uring is io_uring from raw system calls: no cgo, no liburing.
//
// abi.go mirrors <linux/io_uring.h>; setup.go creates a ring
// (io_uring_setup(2)) with the best flags the kernel accepts, checks its
// features and opcodes (IORING_REGISTER_PROBE) and turns refusal into an
// *UnsupportedError that names the cause and the fix; queue.go maps the
// submission and completion queues and states their memory ordering; prep.go
// fills one SQE per opcode; ring.go is the Ring, whose single owner goroutine,
// locked to its thread, makes every io_uring_enter(2) call, batching the
// requests callers hand it.
//
// A Req never travels to the kernel as a pointer: user_data is a slot index
// and generation. A Req's buffer is pinned (runtime.Pinner) from Submit until
// every CQE of the request, its linked timeout's included, has been reaped,
// and only then is its Done channel signalled.
package uring
