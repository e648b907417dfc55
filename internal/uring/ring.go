package uring

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrRingClosed is returned by Submit on a ring that has stopped.
var ErrRingClosed = errors.New("uring: ring closed")

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

// Req states, touched only by the owner.
//
// Every backlog entry is a request in stateQueued, of its current
// submission: a queued request that is cancelled leaves the backlog as it
// completes. Once a request has completed, its caller may prepare it again
// at any moment, so the owner must not read it from an entry left behind.
const (
	stateIdle     = iota
	stateQueued   // handed to the owner, waiting in the backlog for CQ budget or SQ room
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
	sa        unix.RawSockaddrAny // CONNECT input, ACCEPT output (copied to and from the slot)
	saLen     uint32

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

	// owner-only
	state      uint8
	cancelSent bool
	slot       uint32
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

// PrepNop describes a no-op (used by tests and to measure the ring itself).
func (q *Req) PrepNop() { q.reset(IORING_OP_NOP, -1) }

func (q *Req) reset(op uint8, fd int) {
	q.op, q.fd, q.buf, q.n, q.off, q.opFlags, q.timeout, q.saLen = op, int32(fd), nil, 0, 0, 0, 0, 0
	q.pollFirst = false
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
func (q *Req) Unpin() { q.pin.Unpin() }

// SetTracker makes the request count in t from Submit until completion.
func (q *Req) SetTracker(t *Tracker) { q.tracker = t }

// Done is signalled when the request has completed and every CQE belonging to
// it (its own and its linked timeout's) has been reaped: from then on the
// kernel no longer touches its buffer.
//
// Without SetOneshot, Done is a one-slot token channel reused across
// submissions, and a token may be left over from the previous one: treat a
// receive as "look at Completed", which is authoritative.
func (q *Req) Done() <-chan struct{} { return q.done }

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

// Completed reports whether the current submission has completed (every CQE
// reaped, buffer unpinned, Result valid).
func (q *Req) Completed() bool { return q.completed.Load() }

// Result is cqe->res (bytes, a new fd, or -errno) and whether the linked
// timeout fired. Valid after Done.
func (q *Req) Result() (res int32, timedOut bool) { return q.res, q.timedOut }

// Sockaddr is the peer address an ACCEPT filled in (valid after Done).
func (q *Req) Sockaddr() (*unix.RawSockaddrAny, uint32) { return &q.sa, q.saLen }

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
	sa      unix.RawSockaddrAny
	saLen   uint32
}

// Config sizes a ring. Zero values pick the defaults. New raises sizes too
// small to work: Entries to 2 (a request with a linked timeout takes two
// SQEs at once) and CQEntries to twice Entries and at least 8 (a request
// with its timeout, the reserve kept for cancels and the eventfd read must
// all fit).
type Config struct {
	Entries   uint32 // SQ entries: the most SQEs one io_uring_enter submits (default 256)
	CQEntries uint32 // CQ entries: the bound on CQEs in flight (default 8192)
}

// The default and smallest sizes (see Config).
const (
	DefaultEntries   = 256
	DefaultCQEntries = 8192
	minSQ            = 2
	minCQ            = 8
)

// Stats counts a ring's work since it started.
type Stats struct {
	Enters    uint64 // io_uring_enter(2) calls
	Submitted uint64 // SQEs submitted (requests, linked timeouts, cancels, eventfd reads)
	Ops       uint64 // requests completed (Req, not counting timeouts or cancels)
	Wakeups   uint64 // eventfd writes that woke the owner
	Active    uint64 // requests submitted and not yet completed, now
	// MaxInFlight is the most CQEs the ring has ever had outstanding (requests,
	// their linked timeouts, cancels, the eventfd read); never above CQEntries.
	MaxInFlight uint64
	CQEntries   uint64 // the CQ size the kernel granted
	SQEntries   uint64 // the SQ size the kernel granted
}

type cancelReq struct {
	req     *Req
	seq     uint64
	fd      int32    // with req == nil: cancel everything on fd
	tracker *Tracker // with req == nil: counts the cancel until its CQE is reaped
}

type queued struct {
	req *Req
	seq uint64
}

// Ring is an io_uring instance and the goroutine that owns it. That
// goroutine, locked to its OS thread (required by IORING_SETUP_SINGLE_ISSUER
// and DEFER_TASKRUN, which tie the ring to one task), makes every
// io_uring_enter(2) call: it submits in one call everything callers handed it
// since the previous call, and waits there for completions. Callers park on
// their Req's channel; a caller that hands over work while the owner sleeps
// writes an eventfd, on which the owner keeps a READ armed.
type Ring struct {
	mu       sync.Mutex
	incoming []queued     // guarded by mu
	cancels  []cancelReq  // guarded by mu
	refs     int          // guarded by mu
	stopping bool         // guarded by mu
	sleep    atomic.Int32 // how the owner waits (sleepAwake, sleepDeep, sleepNap)
	posted   atomic.Int32 // work handed over since the owner last took it (a hint for spinning)
	active   atomic.Int32 // requests submitted and not yet completed
	procs    int          // GOMAXPROCS when the ring started

	efd    int
	exited chan struct{}

	enters, submitted, ops, wakeups, maxInflight atomic.Uint64
	cqEntries, sqEntries                         uint64

	// owner-only
	q        *queues
	slots    []*slot
	free     []uint32
	backlog  []queued
	work     []queued
	cwork    []cancelReq
	inflight int // CQEs expected from the kernel
	budget   int // bound on inflight for requests: CQ size minus a reserve for cancels and the eventfd read
	users    int // requests (not cancels or the eventfd read) in flight or queued
	armed    bool
	finished []*Req   // completed since the last signal, to be told (signal)
	busy     bool     // the last wait reaped completions: the next may be a nap
	nap      *napArgs // the timeout of a nap, pinned; nil: no naps
	efdBuf   *[8]byte
	pinner   runtime.Pinner
}

// New starts a ring and its owner. It fails with an *UnsupportedError (which
// wraps errors.ErrUnsupported) when io_uring is absent or forbidden. The ring
// holds one reference, dropped by Release.
func New(c Config) (*Ring, error) {
	if c.Entries == 0 {
		c.Entries = DefaultEntries
	}
	if c.CQEntries == 0 {
		c.CQEntries = DefaultCQEntries
	}
	c.Entries = max(c.Entries, minSQ)
	c.CQEntries = max(c.CQEntries, 2*c.Entries, minCQ)
	r := &Ring{refs: 1, exited: make(chan struct{}), efd: -1, procs: runtime.GOMAXPROCS(0)}
	ready := make(chan error, 1)
	go r.run(c, ready)
	if err := <-ready; err != nil {
		<-r.exited
		return nil, err
	}
	return r, nil
}

// Acquire takes another reference; it reports false if the ring has stopped.
func (r *Ring) Acquire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refs == 0 {
		return false
	}
	r.refs++
	return true
}

// Release drops a reference. The last one stops the owner: it waits until
// nothing is in flight, closes the ring and the eventfd, and its thread
// exits (the goroutine dies locked to it). Release returns after that.
func (r *Ring) Release() {
	r.mu.Lock()
	if r.refs <= 0 {
		r.mu.Unlock()
		return
	}
	r.refs--
	last := r.refs == 0
	if last {
		r.stopping = true
	}
	r.mu.Unlock()
	if last {
		r.wake()
		<-r.exited
	}
}

// Stats returns the ring's counters.
func (r *Ring) Stats() Stats {
	return Stats{Enters: r.enters.Load(), Submitted: r.submitted.Load(), Ops: r.ops.Load(), Wakeups: r.wakeups.Load(),
		Active: uint64(max(r.active.Load(), 0)), MaxInFlight: r.maxInflight.Load(), CQEntries: r.cqEntries, SQEntries: r.sqEntries}
}

// Submit hands q to the owner. q's buffer is pinned from now until q
// completes. The caller must not touch q or its buffer until Done.
func (r *Ring) Submit(q *Req) error {
	if q.oneshot || q.done == nil {
		q.done = make(chan struct{}, 1)
	}
	q.completed.Store(false)
	// Results are per submission: reap only ever sets timedOut, and a
	// request cancelled in the kernel has no timeout CQE to clear it.
	q.res, q.timedOut = 0, false
	if q.tracker != nil {
		q.tracker.add()
	}
	if q.buf != nil {
		q.pin.Pin(q.buf)
	}
	seq := q.seq.Add(1)
	r.active.Add(1)
	r.mu.Lock()
	if r.refs == 0 {
		r.mu.Unlock()
		r.active.Add(-1)
		q.pin.Unpin()
		if q.tracker != nil {
			q.tracker.done()
		}
		return ErrRingClosed
	}
	r.incoming = append(r.incoming, queued{q, seq})
	r.mu.Unlock()
	r.posted.Add(1)
	r.wakeIfSleeping()
	return nil
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

// How the owner waits in io_uring_enter, for wakeIfSleeping.
const (
	sleepAwake = iota // running: it takes new work before it waits again
	sleepDeep         // until a completion: new work must wake it (eventfd)
	sleepNap          // until a completion or napFor: new work waits for it
)

// napFor bounds how long work handed to a busy ring may wait for the owner
// without an eventfd write. While completions keep coming (the last wait
// reaped some) and more requests are active than there are Ps, the owner
// waits at most napFor, and callers do not wake it: on a busy ring, the
// eventfd write, the READ it completes and the READ's re-arm cost more than
// the request itself (measured before naps: 1.6 wake-ups per echo message
// with 100 busy Conns). A wait that reaps nothing makes the next one deep,
// so an idle ring pays one nap, not a timer every napFor; and a lightly used
// ring never naps, since there a caller would wait for the nap to end
// (measured: a one-connection round trip through the ring 76 µs without
// naps, 136 µs with them). Needs IORING_FEAT_EXT_ARG (Linux 5.11); without
// it, every wait is deep.
var napFor = 20 * time.Microsecond

// napArgs is io_uring_enter's timeout argument for a nap; the kernel reads
// it during the call, so it lives in pinned memory.
type napArgs struct {
	arg io_uring_getevents_arg
	ts  __kernel_timespec
}

func (r *Ring) wakeIfSleeping() {
	// Pairs with the owner's sleep.Store followed by its check of incoming
	// under mu: either the owner sees our work, or we see it asleep. A
	// napping owner comes back within napFor on its own.
	if r.sleep.Load() == sleepDeep && r.sleep.CompareAndSwap(sleepDeep, sleepAwake) {
		r.wake()
	}
}

func (r *Ring) wake() {
	one := uint64(1)
	b := (*[8]byte)(unsafe.Pointer(&one))
	for {
		_, err := unix.Write(r.efd, b[:])
		if err != unix.EINTR {
			break
		}
	}
	r.wakeups.Add(1)
}

func (r *Ring) run(c Config, ready chan<- error) {
	defer close(r.exited)
	// Never unlocked: when run returns, the goroutine exits locked and the
	// runtime terminates its thread, so no thread tied to a ring outlives it.
	runtime.LockOSThread()

	q, err := openQueues(c.Entries, c.CQEntries)
	if err != nil {
		ready <- err
		return
	}
	// Blocking eventfd: io_uring would fail a READ on an O_NONBLOCK fd with
	// EAGAIN instead of polling it.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		q.close()
		ready <- errf("eventfd: %w", err)
		return
	}
	r.q, r.efd = q, efd
	r.cqEntries, r.sqEntries = uint64(q.cqEntries), uint64(q.sqEntries)
	// Requests may fill the CQ but for a reserve kept for cancels (which
	// must always find room, or a cancel could wait for a completion that
	// only the cancel would bring) and the eventfd read.
	r.budget = int(q.cqEntries) - max(int(q.cqEntries)/8, 2) - 1
	r.efdBuf = new([8]byte)
	r.pinner.Pin(r.efdBuf)
	if napFor > 0 && q.canNap() {
		r.nap = &napArgs{ts: __kernel_timespec{tv_sec: int64(napFor / time.Second), tv_nsec: int64(napFor % time.Second)}}
		r.nap.arg.ts = uint64(uintptr(unsafe.Pointer(&r.nap.ts)))
		r.pinner.Pin(r.nap)
	}
	ready <- nil

	r.loop()

	q.close()
	unix.Close(r.efd)
	r.pinner.Unpin()
}

func (r *Ring) loop() {
	cancelAllSent := false
	woke := false // callers woken since the last hand-over of the P
	for {
		if !r.armed && r.q.sqFree() > 0 {
			e := r.q.sqe()
			prepRead(e, int32(r.efd), unsafe.Pointer(r.efdBuf), 8, ^uint64(0))
			e.user_data = userData(0, 0, kindWake)
			r.inflight++
			r.armed = true
		}

		r.posted.Store(0)
		r.mu.Lock()
		r.work, r.incoming = r.incoming, r.work[:0]
		// Cancels kept from the last round (the SQ was full) go first.
		r.cwork = append(r.cwork, r.cancels...)
		clear(r.cancels)
		r.cancels = r.cancels[:0]
		stopping := r.stopping
		r.mu.Unlock()

		for _, w := range r.work {
			w.req.state = stateQueued
			w.req.cancelSent = false
			r.backlog = append(r.backlog, w)
			r.users++
		}
		clear(r.work)
		r.cwork = r.doCancels(r.cwork)
		if stopping {
			// Nothing new arrives (Submit refuses once the last reference
			// is gone) and the kernel's cancel-all below never sees what
			// is still queued: complete the backlog here.
			r.cancelQueued(func(*Req) bool { return true })
		}
		r.signal() // requests cancelled before they reached the kernel
		r.startBacklog()

		if stopping {
			if r.users == 0 {
				r.releaseTrackers()
				return
			}
			if !cancelAllSent && r.q.sqFree() > 0 && r.inflight < r.cancelLimit() {
				prepCancelAll(r.q.sqe())
				r.inflight++
				cancelAllSent = true
			}
		}

		if uint64(r.inflight) > r.maxInflight.Load() {
			r.maxInflight.Store(uint64(r.inflight))
		}
		toSubmit := r.q.flush()
		var wait uint32
		if r.inflight > 0 && toSubmit == 0 && woke {
			// About to wait with callers just woken sitting in this P's
			// run queue: io_uring_enter would block holding the P
			// (syscall.Syscall only marks it "in syscall"), and if every
			// other P is busy nothing runs them until sysmon retakes it,
			// 20 µs to 10 ms later. Gosched on a locked goroutine hands
			// the P, run queue and all, to another thread at once; this
			// thread resumes when a P is free. Then look again for work.
			woke = false
			runtime.Gosched()
			continue
		}
		spun := spinIdle
		if r.inflight > 0 && toSubmit == 0 {
			spun = r.spin()
			if spun == spinPosted {
				continue // work arrived while spinning: take it, then enter
			}
		}
		nap := false
		if r.inflight > 0 && spun != spinKernel {
			wait = 1
			nap = r.busy && r.nap != nil && int(r.active.Load()) > r.procs
			if nap {
				r.sleep.Store(sleepNap)
			} else {
				r.sleep.Store(sleepDeep)
			}
			r.mu.Lock()
			if len(r.incoming) > 0 || len(r.cancels) > 0 || r.stopping != stopping {
				wait = 0
			}
			r.mu.Unlock()
			// Cancels and requests still held back wait for room. Room in
			// the SQ comes from this very enter: if it submits anything,
			// do not wait, fill again (the SQ need not be full: a request
			// with a linked timeout needs two entries). With nothing to
			// submit the SQ is empty, so what is held back waits for the
			// CQ, where room comes only from completions: waiting for one
			// is right, and one is sure to come, since requests never use
			// the cancels' reserve, so a cancel is held back for the CQ
			// only while another cancel is in flight.
			if (len(r.backlog) > 0 || len(r.cwork) > 0) && toSubmit > 0 {
				wait = 0
			}
			if woke {
				wait = 0 // submit only; hand the P over before waiting
			}
		}
		var n int
		var err error
		if wait == 1 && nap {
			n, err = r.q.enterTimed(toSubmit, wait, &r.nap.arg)
		} else {
			n, err = r.q.enter(toSubmit, wait)
		}
		r.sleep.Store(sleepAwake)
		r.enters.Add(1)
		if n > 0 {
			r.submitted.Add(uint64(n))
		}
		// EINTR: a signal arrived while waiting (signal(7)); EAGAIN/EBUSY: the
		// kernel is short of memory or has CQEs to flush (io_uring_enter(2));
		// ETIME: a nap ended. In all cases nothing is lost: loop, reap, enter
		// again. Anything else means the ring itself is broken, which no
		// caller could recover from.
		if err != nil && err != unix.EINTR && err != unix.EAGAIN && err != unix.EBUSY && err != unix.ETIME {
			panic("uring: io_uring_enter: " + err.Error())
		}
		if r.reap() > 0 {
			woke = true
			r.busy = true
		} else if wait == 1 {
			r.busy = false
		}
	}
}

// spinFor is how long the owner polls for new work and completions before
// it sleeps in io_uring_enter. A caller whose request arrives in that window
// costs no eventfd write and no thread wake-up; an idle ring pays it once.
var spinFor = 10 * time.Microsecond

// What spin found.
const (
	spinIdle   = iota // nothing: sleep in io_uring_enter
	spinPosted        // a caller handed work over: take it
	spinKernel        // completions, or completion work to run: enter without waiting
)

// spin polls, without system calls, for work handed over, completions
// posted, or (IORING_SETUP_TASKRUN_FLAG) completion work waiting for an
// io_uring_enter to run it.
func (r *Ring) spin() int {
	if spinFor <= 0 {
		return spinIdle
	}
	var end time.Time
	// Cancels held back for room (r.cwork) are not new work: only a
	// completion makes room for them, and reaping one takes an enter, so
	// they must not cut the spin short (the loop would go round without
	// ever entering the kernel, and never get that completion).
	for i := 0; ; i++ {
		if r.posted.Load() != 0 {
			return spinPosted
		}
		if atomic.LoadUint32(r.q.sqFlags)&IORING_SQ_TASKRUN != 0 {
			return spinKernel
		}
		if head, tail := r.q.completions(); head != tail {
			return spinKernel
		}
		if i&63 == 0 {
			now := time.Now()
			if i == 0 {
				end = now.Add(spinFor)
			} else if now.After(end) {
				return spinIdle
			}
		}
	}
}

// startBacklog moves queued requests into the SQ, in the order they were
// submitted, while the CQ budget and the SQ have room, so the CQEs in flight
// never exceed the CQ size.
func (r *Ring) startBacklog() {
	i := 0
	for ; i < len(r.backlog); i++ {
		q := r.backlog[i].req
		need := 1
		if q.timeout > 0 {
			need = 2
		}
		if r.inflight+need > r.budget || int(r.q.sqFree()) < need {
			break
		}
		r.start(q, need)
	}
	n := copy(r.backlog, r.backlog[i:])
	clear(r.backlog[n:])
	r.backlog = r.backlog[:n]
}

func (r *Ring) start(q *Req, need int) {
	idx := r.newSlot()
	s := r.slots[idx]
	s.req, s.pending = q, uint8(need)
	q.slot, q.state = idx, stateInflight
	r.inflight += need

	e := r.q.sqe()
	switch q.op {
	case IORING_OP_RECV:
		prepRecv(e, q.fd, q.buf, q.n, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_SEND:
		prepSend(e, q.fd, q.buf, q.n, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_READ:
		prepRead(e, q.fd, q.buf, q.n, q.off)
	case IORING_OP_WRITE:
		prepWrite(e, q.fd, q.buf, q.n, q.off)
	case IORING_OP_ACCEPT:
		s.saLen = uint32(unsafe.Sizeof(s.sa))
		prepAccept(e, q.fd, unsafe.Pointer(&s.sa), &s.saLen, q.opFlags)
	case IORING_OP_CONNECT:
		s.sa = q.sa
		prepConnect(e, q.fd, unsafe.Pointer(&s.sa), q.saLen)
	default:
		prepNop(e)
	}
	e.user_data = userData(idx, s.gen, kindOp)
	if need == 2 {
		e.flags |= IOSQE_IO_LINK
		s.ts = __kernel_timespec{tv_sec: int64(q.timeout / time.Second), tv_nsec: int64(q.timeout % time.Second)}
		t := r.q.sqe()
		prepLinkTimeout(t, unsafe.Pointer(&s.ts))
		t.user_data = userData(idx, s.gen, kindTimeout)
	}
}

// cancelLimit bounds the CQEs in flight when a cancel is issued: the whole
// CQ but one entry, which stays for the eventfd read.
func (r *Ring) cancelLimit() int { return int(r.q.cqEntries) - 1 }

// newSlot takes a free slot, making one if none is free.
func (r *Ring) newSlot() uint32 {
	if n := len(r.free); n > 0 {
		idx := r.free[n-1]
		r.free = r.free[:n-1]
		return idx
	}
	s := new(slot)
	r.pinner.Pin(s) // the kernel reads ts and sa, and writes sa and saLen
	r.slots = append(r.slots, s)
	return uint32(len(r.slots) - 1)
}

// freeSlot makes idx reusable; the new generation makes any late completion
// naming the old one recognisable.
func (r *Ring) freeSlot(idx uint32) {
	s := r.slots[idx]
	s.req, s.tracker = nil, nil
	s.gen++
	r.free = append(r.free, idx)
}

// cancelQueued completes, with -ECANCELED and without the kernel, every
// queued request that match accepts, and takes it out of the backlog.
// match may read the Req: a request in the backlog is its caller's to touch
// again only once it has completed.
func (r *Ring) cancelQueued(match func(*Req) bool) {
	keep := r.backlog[:0]
	for _, w := range r.backlog {
		if match(w.req) {
			r.finish(w.req, -int32(unix.ECANCELED), false) // w.req is the caller's from the next signal on
		} else {
			keep = append(keep, w)
		}
	}
	clear(r.backlog[len(keep):])
	r.backlog = keep
}

// doCancels handles the cancels handed over, and those held back before,
// and returns those that must wait again for room in the SQ or the CQ. None
// is dropped: a cancel is discarded only once its request has completed.
func (r *Ring) doCancels(cs []cancelReq) []cancelReq {
	keep := cs[:0]
	for _, c := range cs {
		if c.req == nil {
			// Queued requests on fd never reach the kernel; they
			// complete now, room for the cancel or not.
			r.cancelQueued(func(q *Req) bool { return q.fd == c.fd })
			if r.q.sqFree() == 0 || r.inflight >= r.cancelLimit() {
				keep = append(keep, c) // no room in the SQ or CQ: next round
				continue
			}
			idx := r.newSlot()
			r.slots[idx].tracker = c.tracker
			e := r.q.sqe()
			prepCancelFD(e, c.fd)
			e.user_data = userData(idx, r.slots[idx].gen, kindCancelFD)
			r.inflight++
			continue
		}
		q := c.req
		if q.seq.Load() != c.seq {
			continue // resubmitted since: this submission has completed
		}
		switch q.state {
		case stateQueued:
			r.cancelQueued(func(b *Req) bool { return b == q })
		case stateInflight:
			if q.cancelSent {
				continue
			}
			if r.q.sqFree() == 0 || r.inflight >= r.cancelLimit() {
				keep = append(keep, c)
				continue
			}
			s := r.slots[q.slot]
			e := r.q.sqe()
			prepCancel(e, userData(q.slot, s.gen, kindOp))
			e.user_data = userData(0, 0, kindCancel)
			r.inflight++
			q.cancelSent = true
		}
	}
	clear(cs[len(keep):])
	return keep
}

// releaseTrackers, as the owner stops, lets go of the Trackers of cancels by
// descriptor still held back or in flight: closing the ring ends them, so
// none can reach the descriptor afterwards.
func (r *Ring) releaseTrackers() {
	for _, c := range r.cwork {
		if c.tracker != nil {
			c.tracker.done()
		}
	}
	clear(r.cwork)
	r.cwork = r.cwork[:0]
	for _, s := range r.slots {
		if s.tracker != nil {
			s.tracker.done()
			s.tracker = nil
		}
	}
}

// reap takes every posted completion and reports how many callers it woke.
func (r *Ring) reap() (woken int) {
	head, tail := r.q.completions()
	for i := head; i != tail; i++ {
		c := r.q.cqe(i)
		ud, res := c.user_data, c.res
		r.inflight--
		switch ud >> 24 & 0xff {
		case kindWake:
			r.armed = false
		case kindCancel:
		case kindCancelFD:
			idx := uint32(ud & (maxSlots - 1))
			t := r.slots[idx].tracker
			r.freeSlot(idx)
			if t != nil {
				t.done()
			}
		case kindOp, kindTimeout:
			idx, gen := uint32(ud&(maxSlots-1)), uint32(ud>>32)
			s := r.slots[idx]
			if s.gen != gen || s.req == nil {
				panic("uring: completion for a stale slot")
			}
			q := s.req
			if ud>>24&0xff == kindOp {
				q.res = res
			} else if res == -int32(unix.ETIME) {
				q.timedOut = true
			}
			s.pending--
			if s.pending == 0 {
				if q.op == IORING_OP_ACCEPT {
					q.sa, q.saLen = s.sa, s.saLen
				}
				r.freeSlot(idx)
				r.finish(q, q.res, q.timedOut)
			}
		}
	}
	r.q.consumed(tail)
	return r.signal()
}

// finish completes q: the kernel is done with it, so its buffer is unpinned
// (unless its caller does that, KeepPinned). The caller is told by the next
// signal, which the owner runs before it waits or submits again.
func (r *Ring) finish(q *Req, res int32, timedOut bool) {
	q.res, q.timedOut = res, timedOut
	q.state = stateIdle
	r.users--
	if !q.keepPin {
		q.pin.Unpin()
	}
	r.finished = append(r.finished, q)
}

// signal tells the callers of the requests finished since the last signal.
// The shared counters are updated once for all of them, before any caller
// is told, so a caller that sees its completion sees it counted.
func (r *Ring) signal() (woken int) {
	if len(r.finished) == 0 {
		return 0
	}
	r.active.Add(-int32(len(r.finished)))
	r.ops.Add(uint64(len(r.finished)))
	for _, q := range r.finished {
		// Once completed is set the caller may reuse q: read what we need first.
		t, done, oneshot := q.tracker, q.done, q.oneshot
		q.completed.Store(true)
		if oneshot {
			close(done)
		} else {
			select {
			case done <- struct{}{}:
			default: // a stale token is there already: it wakes the caller just as well
			}
		}
		if t != nil {
			t.done()
		}
	}
	woken = len(r.finished)
	clear(r.finished)
	r.finished = r.finished[:0]
	return woken
}

// Tracker counts requests in flight, so that whoever must outlive them (the
// close(2) of their descriptor) can wait for the last one.
type Tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // made by Wait, closed when n reaches 0
}

func (t *Tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *Tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
	t.mu.Unlock()
}

// Wait returns once no tracked request is in flight.
func (t *Tracker) Wait() {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	<-idle
}
