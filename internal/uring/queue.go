package uring

import "sync/atomic"

// queues is one io_uring instance: its fd and the three shared-memory areas
// mapped from it (io_uring(7)). Only the owner thread touches a queues value.
//
// Memory ordering (io_uring(7), "Submission queue polling" and the comments
// in liburing's barrier.h): the application is the only writer of the SQ tail
// and the CQ head, the kernel the only writer of the SQ head and the CQ tail.
//   - SQ: we fill an SQE, then store the new tail with an atomic store (a
//     release): the kernel loads the tail with smp_load_acquire, so it sees the
//     SQE contents we wrote before it. We load the kernel's head atomically (an
//     acquire) to learn which SQEs it has consumed and may be reused.
//   - CQ: we load the kernel's tail atomically (an acquire: the kernel stores
//     it with smp_store_release after writing the CQE), read the CQEs up to it,
//     and only then store the new head atomically (a release), after which the
//     kernel may overwrite those CQEs.
//
// Go's sync/atomic operations are sequentially consistent, stronger than the
// acquire/release pairs the protocol needs, and the compiler does not move
// ordinary loads and stores across them.
type queues struct {
	fd       int
	ops      opSet // the opcodes IORING_REGISTER_PROBE reported
	features uint32
	flags    uint32 // the IORING_SETUP_* flags the kernel accepted

	ringMem []byte // SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
	sqeMem  []byte // the SQE array

	sqHead    *uint32 // written by the kernel
	sqTail    *uint32 // written by us
	sqFlags   *uint32 // IORING_SQ_*, written by the kernel
	sqMask    uint32
	sqEntries uint32
	sqes      []io_uring_sqe
	sqLocal   uint32 // tail of SQEs we filled, published by flush

	cqHead    *uint32 // written by us
	cqTail    *uint32 // written by the kernel
	cqMask    uint32
	cqEntries uint32
	cqes      []io_uring_cqe
}

// sqe returns a zeroed SQE to fill, or nil when the SQ is full (all its
// entries filled but not yet consumed by the kernel).
func (q *queues) sqe() *io_uring_sqe {
	if q.sqLocal-atomic.LoadUint32(q.sqHead) >= q.sqEntries {
		return nil
	}
	e := &q.sqes[q.sqLocal&q.sqMask]
	*e = io_uring_sqe{}
	q.sqLocal++
	return e
}

// flush publishes the filled SQEs to the kernel (release store of the tail)
// and returns how many it has not consumed yet: the to_submit argument of
// io_uring_enter(2).
func (q *queues) flush() uint32 {
	atomic.StoreUint32(q.sqTail, q.sqLocal)
	return q.sqLocal - atomic.LoadUint32(q.sqHead)
}

// sqFree is how many SQEs can be filled before the next enter.
func (q *queues) sqFree() uint32 {
	return q.sqEntries - (q.sqLocal - atomic.LoadUint32(q.sqHead))
}

// completions returns the range [head, tail) of CQEs the kernel has posted
// and we have not consumed; read them with cqe(i), then hand them back with
// consumed(tail).
func (q *queues) completions() (head, tail uint32) {
	return atomic.LoadUint32(q.cqHead), atomic.LoadUint32(q.cqTail)
}

func (q *queues) cqe(i uint32) *io_uring_cqe { return &q.cqes[i&q.cqMask] }

// consumed tells the kernel it may reuse every CQE before tail.
func (q *queues) consumed(tail uint32) { atomic.StoreUint32(q.cqHead, tail) }

// canNap reports whether the kernel takes a timeout for the wait
// (IORING_FEAT_EXT_ARG, Linux 5.11).
func (q *queues) canNap() bool { return q.features&IORING_FEAT_EXT_ARG != 0 }

// opSet is a set of opcodes, one bit each.
type opSet [4]uint64

func (s *opSet) add(op uint8)      { s[op/64] |= 1 << (op % 64) }
func (s *opSet) has(op uint8) bool { return s[op/64]&(1<<(op%64)) != 0 }
