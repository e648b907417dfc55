package uring

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// EventRing is a ring driven by the goroutine that owns it, for an event
// loop: where a Ring's owner runs requests handed to it by other goroutines,
// an EventRing's owner prepares its own requests, with user_data of its own
// choosing, submits them and waits for completions in one io_uring_enter(2)
// (Wait), and reads the completions itself (Reap). Multishot requests (one
// SQE, many CQEs) fit it, where a Ring's one-Req-one-completion shape does
// not.
//
// Every method but Wake belongs to the owner, which must be locked to its
// OS thread (runtime.LockOSThread) from NewEventRing to Close: the ring is
// made IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN where the kernel allows,
// which ties it to the thread that created it, and completion work then
// runs only in that thread's io_uring_enter with IORING_ENTER_GETEVENTS.
//
// Another goroutine wakes a waiting owner with Wake: the owner keeps a READ
// armed on an eventfd, and Wake writes the eventfd only when the owner
// sleeps (or is about to), so a busy loop is woken for free.
type EventRing struct {
	q      *queues
	efd    int
	efdBuf *[8]byte // the armed READ's buffer, pinned
	armed  bool
	wait   *waitArgs // Wait's timeout, pinned
	pinner runtime.Pinner

	// sleeping is set by the owner before it checks posted and waits;
	// posted counts Wakes since the owner last took them (Woken). Either the
	// owner sees posted, or Wake sees sleeping (both sequentially
	// consistent), so no Wake is lost.
	sleeping atomic.Bool
	posted   atomic.Int32

	enters, wakeups uint64 // owner-only counters
	efdWrites       atomic.Uint64
}

// waitArgs is io_uring_enter's EXT_ARG for a bounded wait; the kernel reads
// it during the call, so it is pinned for the ring's life.
type waitArgs struct {
	arg io_uring_getevents_arg
	ts  __kernel_timespec
}

// Completion is one CQE, copied out of the completion queue.
type Completion struct {
	UserData uint64
	Res      int32  // bytes, a new fd, or -errno
	Flags    uint32 // IORING_CQE_F_*: More reports F_MORE, Buffer the buffer's ID
}

// More reports whether the multishot request that posted c is still armed
// (IORING_CQE_F_MORE): without it, c is the request's last completion.
func (c Completion) More() bool { return c.Flags&IORING_CQE_F_MORE != 0 }

// Buffer returns the ID of the provided buffer the kernel filled, and
// whether there is one (IORING_CQE_F_BUFFER).
func (c Completion) Buffer() (bid uint16, ok bool) {
	return uint16(c.Flags >> IORING_CQE_BUFFER_SHIFT), c.Flags&IORING_CQE_F_BUFFER != 0
}

// WakeData is the user_data of the owner's eventfd READ; Reap never
// returns it. Callers' user_data must differ from it.
const WakeData = ^uint64(0)

// NewEventRing sets up a ring with an SQ of entries and a CQ of cq entries
// (both rounded up to powers of two by the kernel, clamped to its maximum),
// as New does: the best setup flags the kernel accepts, its features and
// opcodes checked; io_uring absent or forbidden is an *UnsupportedError. Call
// it on the thread that will own the ring.
func NewEventRing(entries, cq uint32) (*EventRing, error) {
	q, err := openQueues(entries, max(cq, 2*entries))
	if err != nil {
		return nil, err
	}
	// Blocking: io_uring fails a READ on an O_NONBLOCK eventfd with EAGAIN
	// where it should wait.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		q.close()
		return nil, errf("eventfd: %w", err)
	}
	r := &EventRing{q: q, efd: efd, efdBuf: new([8]byte), wait: new(waitArgs)}
	r.wait.arg.ts = uint64(uintptr(unsafe.Pointer(&r.wait.ts)))
	r.pinner.Pin(r.efdBuf)
	r.pinner.Pin(r.wait)
	return r, nil
}

// Close closes the ring and its eventfd. Closing the ring cancels what is
// still in flight (io_uring(7)); an owner that lent buffers to the kernel
// must have reaped their requests' last completions first.
func (r *EventRing) Close() {
	r.q.close()
	unix.Close(r.efd)
	r.pinner.Unpin()
}

// Supports reports whether the kernel performs op (IORING_REGISTER_PROBE).
func (r *EventRing) Supports(op uint8) bool { return r.q.ops.has(op) }

// sqe returns a zeroed SQE with user_data ud, submitting what is prepared
// when the SQ is full to make room.
func (r *EventRing) sqe(ud uint64) *io_uring_sqe {
	for {
		if e := r.q.sqe(); e != nil {
			e.user_data = ud
			return e
		}
		r.enter(r.q.flush(), 0, false)
	}
}

// AcceptMultishot arms a multishot ACCEPT on the listening socket fd with
// accept4(2) flags (SOCK_CLOEXEC...): a completion per connection.
func (r *EventRing) AcceptMultishot(fd int, flags int, ud uint64) {
	prepAcceptMultishot(r.sqe(ud), int32(fd), uint32(flags))
}

// Accept prepares a one-shot ACCEPT on fd, without the peer's address.
func (r *EventRing) Accept(fd int, flags int, ud uint64) {
	prepAccept(r.sqe(ud), int32(fd), nil, nil, uint32(flags))
}

// RecvMultishot arms a multishot RECV on fd into buffers of group's
// provided-buffer ring: a completion each time data arrives.
func (r *EventRing) RecvMultishot(fd int, group uint16, ud uint64) {
	prepRecvMultishot(r.sqe(ud), int32(fd), group)
}

// PollMultishot arms a multishot POLL_ADD on fd for events.
func (r *EventRing) PollMultishot(fd int, events uint32, ud uint64) {
	prepPollMultishot(r.sqe(ud), int32(fd), events)
}

// PollAdd prepares a one-shot POLL_ADD on fd for events.
func (r *EventRing) PollAdd(fd int, events uint32, ud uint64) {
	prepPollAdd(r.sqe(ud), int32(fd), events)
}

// Send prepares send(2) of p on fd with MSG_NOSIGNAL (a peer gone is
// EPIPE, not SIGPIPE). The kernel reads p until the completion: the caller
// keeps p reachable and where it is (pinned, or memory Go does not move)
// until it has reaped it.
func (r *EventRing) Send(fd int, p []byte, ud uint64) {
	prepSend(r.sqe(ud), int32(fd), unsafe.Pointer(unsafe.SliceData(p)), uint32(len(p)), unix.MSG_NOSIGNAL)
}

// CancelFD prepares an ASYNC_CANCEL of every request on fd (5.19); each of
// them completes with -ECANCELED unless it was done already, and the cancel
// itself completes with ud (res: how many it found, or -ENOENT).
func (r *EventRing) CancelFD(fd int, ud uint64) {
	prepCancelFD(r.sqe(ud), int32(fd))
}

// Nop prepares a no-op.
func (r *EventRing) Nop(ud uint64) { prepNop(r.sqe(ud)) }

// Wake makes the owner's Wait return soon (or its next Wait not sleep). It
// is safe from any goroutine.
//
// No Wake is lost (TestEventRingWakeNeverLost). Wake bumps posted, then
// looks at sleeping; Wait sets sleeping, then looks at posted. Both are
// sequentially consistent, so at least one sees the other: either Wait
// sees posted and does not sleep, or Wake sees sleeping and writes the
// eventfd, which completes the READ armed before sleeping was set. Only
// the Wake whose CAS takes sleeping writes; the others bumped posted,
// which the owner's Woken, after the Wait, takes with the first. A write
// that lands when the owner does not sleep after all (it saw posted, or a
// completion) completes the READ later: one spurious return, never a lost
// one. The eventfd's counter, read whole, folds several writes into one
// completion, and the READ is armed again before the next sleep.
func (r *EventRing) Wake() {
	r.posted.Add(1)
	if r.sleeping.Load() && r.sleeping.CompareAndSwap(true, false) {
		one := uint64(1)
		for {
			_, err := unix.Write(r.efd, (*[8]byte)(unsafe.Pointer(&one))[:])
			if err != unix.EINTR {
				break
			}
		}
		r.efdWrites.Add(1)
	}
}

// Woken reports whether Wake was called since the last Woken, and
// forgets it. The owner calls it before it looks at what other goroutines
// handed it.
func (r *EventRing) Woken() bool { return r.posted.Swap(0) != 0 }

// Submit hands the prepared SQEs to the kernel and runs completion work
// already waiting, without waiting for more.
func (r *EventRing) Submit() { r.enter(r.q.flush(), 0, false) }

// Wait submits the prepared SQEs and waits until a completion is posted,
// d passes (d < 0: no bound), or Wake is called. It does not sleep when
// completions are already posted or a Wake came since the last Woken. The
// bound is io_uring_enter's own timeout (IORING_ENTER_EXT_ARG, 5.11),
// which every kernel that accepts the setup flags (5.18, setup_linux.go)
// has.
func (r *EventRing) Wait(d time.Duration) {
	if !r.armed {
		prepRead(r.sqe(WakeData), int32(r.efd), unsafe.Pointer(r.efdBuf), 8, ^uint64(0))
		r.armed = true
	}
	toSubmit := r.q.flush()
	if d == 0 {
		r.enter(toSubmit, 0, false)
		return
	}
	r.sleeping.Store(true)
	if r.posted.Load() != 0 {
		r.sleeping.Store(false)
		r.enter(toSubmit, 0, false)
		return
	}
	if head, tail := r.q.completions(); head != tail {
		r.sleeping.Store(false)
		r.enter(toSubmit, 0, false)
		return
	}
	if d > 0 && r.q.canNap() {
		r.wait.ts = __kernel_timespec{tv_sec: int64(d / time.Second), tv_nsec: int64(d % time.Second)}
		r.enterTimed(toSubmit)
	} else {
		r.enter(toSubmit, 1, true)
	}
	r.sleeping.Store(false)
}

// enter is io_uring_enter(2) with GETEVENTS (which also runs the completion
// work DEFER_TASKRUN holds for this thread). EINTR (a signal), EAGAIN and
// EBUSY (the kernel short of memory, or CQEs to flush first) and ETIME (a
// bounded wait ended) lose nothing: the owner reaps and comes back. Any
// other error means the ring itself is broken.
func (r *EventRing) enter(toSubmit, minComplete uint32, counted bool) {
	_, err := r.q.enter(toSubmit, minComplete)
	r.enters++
	if counted {
		r.wakeups++
	}
	r.check(err)
}

func (r *EventRing) enterTimed(toSubmit uint32) {
	_, err := r.q.enterTimed(toSubmit, 1, &r.wait.arg)
	r.enters++
	r.wakeups++
	r.check(err)
}

func (r *EventRing) check(err error) {
	if err != nil && err != unix.EINTR && err != unix.EAGAIN && err != unix.EBUSY && err != unix.ETIME {
		panic("uring: io_uring_enter: " + err.Error())
	}
}

// Reap appends every posted completion to dst, hands their CQ entries back
// to the kernel, and returns dst. The eventfd READ's completion is taken
// here (and armed again by the next Wait), never returned.
func (r *EventRing) Reap(dst []Completion) []Completion {
	head, tail := r.q.completions()
	for i := head; i != tail; i++ {
		c := r.q.cqe(i)
		if c.user_data == WakeData {
			r.armed = false
			continue
		}
		dst = append(dst, Completion{UserData: c.user_data, Res: c.res, Flags: c.flags})
	}
	// Only now may the kernel overwrite them (the release store in consumed).
	r.q.consumed(tail)
	return dst
}

// EventRingStats counts an EventRing's system calls.
type EventRingStats struct {
	Enters  uint64 // io_uring_enter(2) calls
	Waits   uint64 // of them, calls that could sleep
	Wakes   uint64 // eventfd writes by Wake
	SQSize  uint32
	CQSize  uint32
	Flags   uint32 // the IORING_SETUP_* flags the kernel accepted
	Feature uint32 // IORING_FEAT_*
}

// Stats returns the ring's counters (owner only).
func (r *EventRing) Stats() EventRingStats {
	return EventRingStats{Enters: r.enters, Waits: r.wakeups, Wakes: r.efdWrites.Load(),
		SQSize: r.q.sqEntries, CQSize: r.q.cqEntries, Flags: r.q.flags, Feature: r.q.features}
}

// Cancel prepares an ASYNC_CANCEL of the request whose user_data is
// target; it completes with -ECANCELED unless it was done already (a
// multishot request's last completion then lacks IORING_CQE_F_MORE), and
// the cancel itself completes with ud.
func (r *EventRing) Cancel(target, ud uint64) {
	prepCancel(r.sqe(ud), target)
}
