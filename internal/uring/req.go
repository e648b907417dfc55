package uring

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Req states, touched only by the owner.
//
// Every backlog entry is a request in stateQueued, of its current
// submission: a queued request that is cancelled leaves the backlog as it
// completes. Once a request has completed, its caller may prepare it again
// at any moment, so the owner must not read it from an entry left behind.
const (
	stateIdle     = iota
	stateQueued   // handed to the owner, waiting in the backlog for SQ room (or under Config.MaxInFlight)
	stateInflight // in the kernel
)

// Req is one operation handed to a Ring: describe it with one Prep method
// (and SetTimeout), Submit it, wait on Done, read Result. A Req is reused
// freely once Done has fired; while it is submitted its buffer belongs to the
// kernel and stays pinned.
type Req struct {
	op      uint8
	fd      int32
	buf     unsafe.Pointer // keeps the buffer reachable while in flight
	n       uint32
	off     uint64
	opFlags uint32
	timeout time.Duration
	// pollFirst: IORING_RECVSEND_POLL_FIRST on a RECV or SEND
	pollFirst bool
	sa        sockaddrAny // CONNECT input, ACCEPT output (copied to and from the slot)
	saLen     uint32
	// SPLICE's input: splice_fd_in and splice_off_in (the SQE's addr)
	fdIn  int32
	offIn uint64

	// parts pins what a RECVMSG, SENDMSG or WRITEV's buffer points at (the
	// msghdr's name, iovec array and control, each iovec's base), a few
	// pointers per Pinner, so that no Pinner outgrows its inline store and
	// allocates: the Pinners are kept and reused, one more made only when
	// a request points at more than ever before.
	parts []runtime.Pinner

	oneshot   bool          // Done is closed (and a fresh channel made per Submit)
	keepPin   bool          // the caller unpins after completion (KeepPinned)
	done      chan struct{} // signalled once per Submit (a hint; completed is the truth)
	completed atomic.Bool   // set by the owner, before done is signalled
	pin       runtime.Pinner
	tracker   *Tracker

	seq       atomic.Uint64 // Submit count, to match Cancel to the right submission
	cancelled atomic.Uint64 // seq of the last Cancel request

	// results, written by the owner before done is signalled
	res      int32
	timedOut bool

	// The chain (chain.go) q was submitted in, a lone request being a
	// chain of one: head is its first request and next the one after q
	// (nil: q is the last), set by SubmitChain; left, on the head and
	// owner-only once submitted, counts its requests not yet finished.
	head, next *Req
	left       int

	// owner-only
	state      uint8
	cancelSent bool
	slot       uint32
}

// sockaddrAny is room for any socket address, with the size and alignment
// of unix.RawSockaddrAny (112 bytes, 2-byte aligned; req_linux.go checks
// both), in a type every platform has.
type sockaddrAny struct {
	family uint16
	data   [110]byte
}

// PrepRecv describes recv(2) on fd into p with msg_flags flags.
func (q *Req) PrepRecv(fd int, p []byte, flags int) {
	q.prepBuf(IORING_OP_RECV, fd, p, uint32(flags), 0)
}

// PrepSend describes send(2) of p on fd with msg_flags flags.
func (q *Req) PrepSend(fd int, p []byte, flags int) {
	q.prepBuf(IORING_OP_SEND, fd, p, uint32(flags), 0)
}

// PrepRead describes read(2) from fd into p at the file position (off = -1
// with IORING_FEAT_RW_CUR_POS: the position advances as with read(2)).
func (q *Req) PrepRead(fd int, p []byte) { q.prepBuf(IORING_OP_READ, fd, p, 0, ^uint64(0)) }

// PrepWrite describes write(2) of p to fd at the file position.
func (q *Req) PrepWrite(fd int, p []byte) { q.prepBuf(IORING_OP_WRITE, fd, p, 0, ^uint64(0)) }

func (q *Req) prepBuf(op uint8, fd int, p []byte, flags uint32, off uint64) {
	q.reset(op, fd)
	q.n, q.opFlags, q.off = uint32(len(p)), flags, off
	if len(p) > 0 {
		q.buf = unsafe.Pointer(&p[0])
	}
}

// PrepAccept describes accept4(2) on the listening fd with accept4 flags;
// the peer's address is returned by Sockaddr after completion.
func (q *Req) PrepAccept(fd int, flags int) {
	q.reset(IORING_OP_ACCEPT, fd)
	q.opFlags = uint32(flags)
}

// PrepConnect describes connect(2) of fd to the raw sockaddr sa of length n.
func (q *Req) PrepConnect(fd int, sa unsafe.Pointer, n uint32) {
	q.reset(IORING_OP_CONNECT, fd)
	if n > uint32(unsafe.Sizeof(q.sa)) {
		n = uint32(unsafe.Sizeof(q.sa))
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&q.sa)), n), unsafe.Slice((*byte)(sa), n))
	q.saLen = n
}

// PrepPollAdd describes a one-shot poll(2) of fd for events (POLLIN,
// POLLOUT, ...); the result is the events that are ready.
func (q *Req) PrepPollAdd(fd int, events uint32) {
	q.reset(IORING_OP_POLL_ADD, fd)
	q.opFlags = events
}

// PrepNop describes a no-op (used by tests and to measure the ring itself).
func (q *Req) PrepNop() { q.reset(IORING_OP_NOP, -1) }

// PrepRecvMsg describes recvmsg(2) on fd into the struct msghdr at msg
// (IORING_OP_RECVMSG) with msg_flags flags. The kernel reads msg and what
// it points at, and writes back its msg_namelen, msg_controllen and
// msg_flags, until completion: msg and everything it points at must be
// Go memory (or not move) and stay reachable until Done; the ring pins them
// from Submit until completion (Unpin, with KeepPinned).
func (q *Req) PrepRecvMsg(fd int, msg unsafe.Pointer, flags int) {
	q.prepMsg(IORING_OP_RECVMSG, fd, msg, flags)
}

// PrepSendMsg describes sendmsg(2) of the struct msghdr at msg on fd
// (IORING_OP_SENDMSG) with msg_flags flags (MSG_NOSIGNAL for us); msg is
// held as for PrepRecvMsg.
func (q *Req) PrepSendMsg(fd int, msg unsafe.Pointer, flags int) {
	q.prepMsg(IORING_OP_SENDMSG, fd, msg, flags)
}

func (q *Req) prepMsg(op uint8, fd int, msg unsafe.Pointer, flags int) {
	q.reset(op, fd)
	q.buf, q.n, q.opFlags = msg, 1, uint32(flags)
}

// PrepWritev describes writev(2) of the n iovecs (struct iovec) at iov to
// fd at the file position (IORING_OP_WRITEV, offset -1); iov and the
// buffers it points at are held as for PrepRecvMsg.
func (q *Req) PrepWritev(fd int, iov unsafe.Pointer, n int) {
	q.reset(IORING_OP_WRITEV, fd)
	q.buf, q.n, q.off = iov, uint32(n), ^uint64(0)
}

// PrepSplice describes splice(2) of up to n bytes from fdIn at offIn to
// fdOut at offOut, with SPLICE_F_* flags (IORING_OP_SPLICE). An offset of
// -1 means none: the descriptor's own position, as a nil offset pointer
// does for splice(2) (a pipe must have none). No memory of the caller's is
// involved.
func (q *Req) PrepSplice(fdIn int, offIn int64, fdOut int, offOut int64, n int, flags int) {
	q.reset(IORING_OP_SPLICE, fdOut)
	q.fdIn, q.offIn, q.off, q.n, q.opFlags = int32(fdIn), uint64(offIn), uint64(offOut), uint32(n), uint32(flags)
}

func (q *Req) reset(op uint8, fd int) {
	q.op, q.fd, q.buf, q.n, q.off, q.opFlags, q.timeout, q.saLen = op, int32(fd), nil, 0, 0, 0, 0, 0
	q.fdIn, q.offIn = 0, 0
	q.pollFirst = false
}

// pinPart pins p for the current submission, in the i-th place of parts;
// it returns the next place. Each Pinner holds pinsPerPinner pointers (its
// inline store in the runtime).
func (q *Req) pinPart(i int, p unsafe.Pointer) int {
	if p == nil {
		return i
	}
	k := i / pinsPerPinner
	if k == len(q.parts) {
		q.parts = append(q.parts, runtime.Pinner{})
	}
	q.parts[k].Pin(p)
	return i + 1
}

// pinsPerPinner is how many pointers a runtime.Pinner holds without
// allocating (its refStore).
const pinsPerPinner = 5

// unpin lets go of everything Submit pinned for q.
func (q *Req) unpin() {
	q.pin.Unpin()
	for i := range q.parts {
		q.parts[i].Unpin()
	}
}

// SetPollFirst tells the kernel that a RECV or SEND prepared last would
// block right now (the caller has just seen EAGAIN), so it arms the poll
// without trying the operation first (IORING_RECVSEND_POLL_FIRST, Linux
// 5.19; older kernels ignore it). Prep methods clear it.
func (q *Req) SetPollFirst() { q.pollFirst = true }

// SetTimeout bounds the request by a linked timeout (IORING_OP_LINK_TIMEOUT)
// of d, counted from submission; d <= 0 means none.
func (q *Req) SetTimeout(d time.Duration) { q.timeout = d }

// SetOneshot makes Done a channel that is closed at completion, so any number
// of goroutines can wait on it; Submit then allocates a channel each time.
func (q *Req) SetOneshot() { q.oneshot = true }

// SetDone makes ch the channel Done signals, in place of one of q's own:
// a caller that already waits on a wake-up token channel (capacity 1) can
// then wait for its completion there too. A token left over in ch wakes the
// caller early, so, as always, Completed is the truth. Not with SetOneshot.
func (q *Req) SetDone(ch chan struct{}) { q.done = ch }

// KeepPinned makes the caller, not the ring's owner, unpin q's buffer: at
// completion the owner leaves it pinned, and the caller must call Unpin once
// Completed reports true, before it submits q again. For a caller that
// always waits for its requests, this takes the unpinning off the owner's
// thread, which every completion goes through.
func (q *Req) KeepPinned() { q.keepPin = true }

// Unpin unpins q's buffer after a completion, for a request made with
// KeepPinned. It must not be called while q is submitted.
func (q *Req) Unpin() { q.unpin() }

// SetTracker makes the request count in t from Submit until completion.
func (q *Req) SetTracker(t *Tracker) { q.tracker = t }

// Done is signalled when the request has completed and every CQE belonging to
// it (its own and its linked timeout's) has been reaped: from then on the
// kernel no longer touches its buffer. The requests of a chain (SubmitChain)
// complete together, once the last CQE of the whole chain is reaped: their
// caller is woken once, not once per request.
//
// Without SetOneshot, Done is a one-slot token channel reused across
// submissions, and a token may be left over from the previous one: treat a
// receive as "look at Completed", which is authoritative.
func (q *Req) Done() <-chan struct{} { return q.done }

// Completed reports whether the current submission has completed (every CQE
// reaped, buffer unpinned, Result valid).
func (q *Req) Completed() bool { return q.completed.Load() }

// Result is cqe->res (bytes, a new fd, or -errno) and whether the linked
// timeout fired. Valid after Done.
func (q *Req) Result() (res int32, timedOut bool) { return q.res, q.timedOut }

// callerSpin is how long Spin polls before the caller parks: most requests
// on a lightly loaded ring complete within it, and a caller still running
// when its request completes needs no wake-up.
var callerSpin = 50 * time.Microsecond

// Spin polls q's completion for a short while, yielding the processor
// (runtime.Gosched) between polls so other goroutines run meanwhile, and
// reports whether q completed; if not, park on Done. It does not spin when
// more requests are active on the ring than there are Ps: then the CPU is
// better spent by the goroutines that have work, and completions come in
// batches anyway.
func (r *Ring) Spin(q *Req) bool {
	if int(r.active.Load()) > r.procs {
		return q.completed.Load()
	}
	var end time.Time
	for i := 0; ; i++ {
		if q.completed.Load() {
			return true
		}
		if i&15 == 0 {
			now := time.Now()
			if i == 0 {
				end = now.Add(callerSpin)
			} else if now.After(end) {
				return false
			}
		}
		runtime.Gosched()
	}
}
