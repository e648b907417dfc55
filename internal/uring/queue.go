package uring

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

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

// openQueues sets up a ring (see setup for the flag chain and ENOMEM retry),
// checks its features and opcodes, and maps it.
func openQueues(sq, cq uint32) (*queues, error) {
	fd, p, err := setup(sq, cq)
	if err != nil {
		return nil, err
	}
	q := &queues{fd: fd, features: p.features, flags: p.flags}
	if err := checkFeatures(&p); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := probe(fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := q.mmap(&p); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return q, nil
}

func (q *queues) mmap(p *io_uring_params) error {
	sqSize := uintptr(p.sq_off.array) + uintptr(p.sq_entries)*4
	cqSize := uintptr(p.cq_off.cqes) + uintptr(p.cq_entries)*sizeofCQE
	size := max(sqSize, cqSize) // FEAT_SINGLE_MMAP: one mapping serves both
	mem, err := unix.Mmap(q.fd, IORING_OFF_SQ_RING, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return errf("mmap rings: %w", err)
	}
	sqeMem, err := unix.Mmap(q.fd, IORING_OFF_SQES, int(p.sq_entries)*sizeofSQE, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		unix.Munmap(mem)
		return errf("mmap sqes: %w", err)
	}
	q.ringMem, q.sqeMem = mem, sqeMem
	base := unsafe.Pointer(&mem[0])
	at := func(off uint32) *uint32 { return (*uint32)(unsafe.Add(base, off)) }

	q.sqHead, q.sqTail, q.sqFlags = at(p.sq_off.head), at(p.sq_off.tail), at(p.sq_off.flags)
	q.sqMask, q.sqEntries = *at(p.sq_off.ring_mask), *at(p.sq_off.ring_entries)
	q.sqes = unsafe.Slice((*io_uring_sqe)(unsafe.Pointer(&sqeMem[0])), q.sqEntries)
	// The SQ ring holds indexes into the SQE array. We fill SQEs in ring
	// order, so the index array is the identity, written once.
	array := unsafe.Slice(at(p.sq_off.array), q.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	q.sqLocal = atomic.LoadUint32(q.sqTail)

	q.cqHead, q.cqTail = at(p.cq_off.head), at(p.cq_off.tail)
	q.cqMask, q.cqEntries = *at(p.cq_off.ring_mask), *at(p.cq_off.ring_entries)
	q.cqes = unsafe.Slice((*io_uring_cqe)(unsafe.Add(base, p.cq_off.cqes)), q.cqEntries)
	return nil
}

// close unmaps the rings and closes the ring fd. Closing the fd cancels every
// request still in flight (io_uring(7)); the owner makes sure none is.
func (q *queues) close() {
	unix.Munmap(q.sqeMem)
	unix.Munmap(q.ringMem)
	unix.Close(q.fd)
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

// enter is io_uring_enter(2): submit toSubmit SQEs and, with IORING_ENTER_GETEVENTS,
// run pending completion work and wait until minComplete CQEs are posted.
func (q *queues) enter(toSubmit, minComplete uint32) (int, error) {
	return sysEnter(q.fd, toSubmit, minComplete, IORING_ENTER_GETEVENTS)
}

// canNap reports whether the kernel takes a timeout for the wait
// (IORING_FEAT_EXT_ARG, Linux 5.11).
func (q *queues) canNap() bool { return q.features&IORING_FEAT_EXT_ARG != 0 }

// enterTimed is enter whose wait also ends when the timeout in arg passes
// (the error is then ETIME). arg, and the timespec it points to, must not
// move: they live in memory pinned for the ring's lifetime.
func (q *queues) enterTimed(toSubmit, minComplete uint32, arg *io_uring_getevents_arg) (int, error) {
	return sysEnterArg(q.fd, toSubmit, minComplete, IORING_ENTER_GETEVENTS, unsafe.Pointer(arg), unsafe.Sizeof(*arg))
}
