package uring

// user_data layout: never a Go pointer (the kernel hands it back after the GC
// may have run), but a slot index, a kind and the slot's generation, so a
// completion for a slot that has since been reused is recognised.
//
//	bits 0-23  slot index
//	bits 24-31 kind
//	bits 32-63 generation
const (
	kindOp       = 1 // the request itself
	kindTimeout  = 2 // its IORING_OP_LINK_TIMEOUT
	kindCancel   = 3 // an ASYNC_CANCEL we issued
	kindWake     = 4 // the READ kept armed on the eventfd
	kindCancelFD = 5 // an ASYNC_CANCEL of everything on an fd (it has a slot, for its Tracker)

	maxSlots = 1 << 24
)

func userData(idx, gen uint32, kind uint64) uint64 {
	return uint64(gen)<<32 | kind<<24 | uint64(idx)
}

// slot is the owner's record of one request in flight. Whatever the kernel
// reads or writes after submission besides the caller's buffer (the timeout's
// timespec, a sockaddr and its length) lives here, in memory pinned for the
// ring's lifetime, never on a goroutine stack.
type slot struct {
	gen     uint32
	pending uint8 // CQEs still to reap: 1, or 2 with a linked timeout
	req     *Req
	tracker *Tracker // for a kindCancelFD slot
	ts      __kernel_timespec
	sa      sockaddrAny
	saLen   uint32
}

// queued is one request handed to the owner, in incoming and the backlog.
// link: it is linked to the next entry (IOSQE_IO_LINK), the two in one
// chain (chain.go).
type queued struct {
	req  *Req
	seq  uint64
	link bool
	// since is when the first round that could not start it ended, in
	// nanoseconds from the owner's epoch; 0 until then.
	since int64
}

type cancelReq struct {
	req     *Req
	seq     uint64
	fd      int32    // with req == nil: cancel everything on fd
	tracker *Tracker // with req == nil: counts the cancel until its CQE is reaped
}

// Cancel asks the owner to cancel q's current submission
// (IORING_OP_ASYNC_CANCEL by user_data). q still completes: wait on Done
// (res is -ECANCELED, or the result if the request finished first).
// Cancelling a completed request does nothing.
func (r *Ring) Cancel(q *Req) {
	seq := q.seq.Load()
	if q.cancelled.Swap(seq) == seq {
		return // already asked for this submission
	}
	r.mu.Lock()
	r.cancels = append(r.cancels, cancelReq{req: q, seq: seq})
	r.mu.Unlock()
	r.posted.Add(1)
	r.wakeIfSleeping()
}

// CancelFD cancels every request on fd (IORING_ASYNC_CANCEL_FD|ALL), those
// still queued included. It does not wait: each request still completes. If
// t is not nil, the cancel itself counts in t until the kernel has answered
// it, so that whoever closes fd can wait for t and be sure no cancel by that
// number is still on its way (it would hit the next user of the number).
func (r *Ring) CancelFD(fd int, t *Tracker) {
	if t != nil {
		t.add()
	}
	r.mu.Lock()
	r.cancels = append(r.cancels, cancelReq{fd: int32(fd), tracker: t})
	r.mu.Unlock()
	r.posted.Add(1)
	r.wakeIfSleeping()
}
