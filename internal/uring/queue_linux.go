package uring

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

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
	if err := probe(fd, &q.ops); err != nil {
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

// enter is io_uring_enter(2): submit toSubmit SQEs and, with IORING_ENTER_GETEVENTS,
// run pending completion work and wait until minComplete CQEs are posted.
func (q *queues) enter(toSubmit, minComplete uint32) (int, error) {
	return sysEnter(q.fd, toSubmit, minComplete, IORING_ENTER_GETEVENTS)
}

// enterTimed is enter whose wait also ends when the timeout in arg passes
// (the error is then ETIME). arg, and the timespec it points to, must not
// move: they live in memory pinned for the ring's lifetime.
func (q *queues) enterTimed(toSubmit, minComplete uint32, arg *io_uring_getevents_arg) (int, error) {
	return sysEnterArg(q.fd, toSubmit, minComplete, IORING_ENTER_GETEVENTS, unsafe.Pointer(arg), unsafe.Sizeof(*arg))
}
