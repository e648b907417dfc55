package uring

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRingClosed is returned by Submit on a ring that has stopped.
var ErrRingClosed = errors.New("uring: ring closed")

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
	opsOK    opSet        // the opcodes the kernel supports, set before New returns
	maxChain int          // SubmitChain's bound (MaxChain), set before New returns

	efd    int
	exited chan struct{}

	enters, submitted, ops, wakeups, maxInflight atomic.Uint64
	backlogLen, maxBacklog, overflows            atomic.Uint64
	maxBacklogWait                               atomic.Int64 // nanoseconds
	cqEntries, sqEntries                         uint64

	// owner-only
	q        *queues
	slots    []*slot
	free     []uint32
	backlog  []queued
	work     []queued
	cwork    []cancelReq
	inflight int       // CQEs expected from the kernel
	budget   int       // bound on inflight for requests (Config.MaxInFlight), or none (math.MaxInt)
	epoch    time.Time // when the owner started: backlog times are counted from it
	users    int       // requests (not cancels or the eventfd read) in flight or queued
	armed    bool
	finished []*Req   // completed since the last signal, to be told (signal)
	tells    []tell   // signal's scratch
	busy     bool     // the last wait reaped completions: the next may be a nap
	nap      *napArgs // the timeout of a nap, pinned; nil: no naps
	efdBuf   *[8]byte
	pinner   runtime.Pinner
}

// napArgs is io_uring_enter's timeout argument for a nap; the kernel reads
// it during the call, so it lives in pinned memory.
type napArgs struct {
	arg io_uring_getevents_arg
	ts  __kernel_timespec
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

// Supports reports whether the kernel's io_uring performs op (an
// IORING_OP_* number), as IORING_REGISTER_PROBE said when the ring started.
// The opcodes in RequiredOps always are; a request with another one the
// kernel lacks would complete with -EINVAL, so a caller asks first.
func (r *Ring) Supports(op uint8) bool { return r.opsOK.has(op) }

// ForceUnsupported makes Supports report false for op from now on, as on a
// kernel without it. It exists for tests (of this package and of the
// models built on it); call it before the ring is shared.
func (r *Ring) ForceUnsupported(op uint8) {
	r.opsOK[op/64] &^= 1 << (op % 64)
}

// Submit hands q to the owner. q's buffer is pinned from now until q
// completes. The caller must not touch q or its buffer until Done. It is
// SubmitChain of one: the one path by which requests reach the owner.
func (r *Ring) Submit(q *Req) error { return r.SubmitChain([]*Req{q}) }

// prepareSubmit readies q for a new submission: a fresh result, its buffer
// and what it points at pinned, its tracker counting, its seq advanced.
func (q *Req) prepareSubmit() {
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
		q.pinParts()
	}
	q.seq.Add(1)
}

// abandonSubmit undoes prepareSubmit for a ring that has stopped (the
// seq stays advanced: no Cancel can match the submission that never was).
func (q *Req) abandonSubmit() {
	q.unpin()
	if q.tracker != nil {
		q.tracker.done()
	}
}

// How the owner waits in io_uring_enter, for wakeIfSleeping.
const (
	sleepAwake = iota // running: it takes new work before it waits again
	sleepDeep         // until a completion: new work must wake it (eventfd)
	sleepNap          // until a completion or napFor: new work waits for it
)

func (r *Ring) wakeIfSleeping() {
	// Pairs with the owner's sleep.Store followed by its check of incoming
	// under mu: either the owner sees our work, or we see it asleep. A
	// napping owner comes back within napFor on its own.
	if r.sleep.Load() == sleepDeep && r.sleep.CompareAndSwap(sleepDeep, sleepAwake) {
		r.wake()
	}
}

// tell is what signal needs of a finished request to tell its caller.
type tell struct {
	done    chan struct{}
	tracker *Tracker
	oneshot bool
}
