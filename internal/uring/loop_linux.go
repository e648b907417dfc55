package uring

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// run is the owner goroutine: on its own locked thread it sets the ring up,
// reports the outcome on ready, runs loop until the last reference is gone
// and nothing is in flight, and closes the ring.
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
	r.opsOK = q.ops
	r.cqEntries, r.sqEntries = uint64(q.cqEntries), uint64(q.sqEntries)
	// Requests in flight are bounded by memory, not by the CQ: a CQE
	// that finds the CQ full waits in kernel memory (IORING_FEAT_NODROP,
	// which checkFeatures requires) until the owner reaps. Bounded by the
	// CQ, a request past the bound waited for another's completion, which
	// among idle connections never came (README.md, "Beyond the CQ").
	r.budget = math.MaxInt
	if c.MaxInFlight > 0 {
		r.budget = int(c.MaxInFlight)
	}
	r.epoch = time.Now()
	// A chain must fit the SQ beside the eventfd read and a request with
	// its timeout, and any bound.
	r.maxChain = max(1, min(int(q.sqEntries)/4, r.budget/4))
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

// loop is the owner's round, over and over: take what callers handed over,
// handle cancels, move the backlog into the SQ, decide how to wait
// (nextWait), io_uring_enter, reap.
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
			if !cancelAllSent && r.q.sqFree() > 0 {
				prepCancelAll(r.q.sqe())
				r.inflight++
				cancelAllSent = true
			}
		}

		if uint64(r.inflight) > r.maxInflight.Load() {
			r.maxInflight.Store(uint64(r.inflight))
		}
		toSubmit := r.q.flush()
		how := r.nextWait(toSubmit, woke, stopping)
		switch how {
		case waitYield:
			woke = false
			runtime.Gosched()
			continue
		case waitRetake:
			continue // work arrived while spinning: take it, then enter
		}
		var wait uint32
		if how == waitDeep || how == waitNap {
			wait = 1
		}
		var n int
		var err error
		if how == waitNap {
			n, err = r.q.enterTimed(toSubmit, wait, &r.nap.arg)
		} else {
			n, err = r.q.enter(toSubmit, wait)
		}
		r.sleep.Store(sleepAwake)
		r.enters.Add(1)
		if atomic.LoadUint32(r.q.sqFlags)&IORING_SQ_CQ_OVERFLOW != 0 {
			r.overflows.Add(1)
		}
		if n > 0 {
			r.submitted.Add(uint64(n))
		}
		// EINTR: a signal arrived while waiting (signal(7)); EAGAIN/EBUSY: the
		// kernel is short of memory or has CQEs to flush (io_uring_enter(2));
		// ETIME: a nap ended. In all cases nothing is lost: loop, reap, enter
		// again. Anything else means the ring itself is broken, which no
		// caller could recover from.
		if err == unix.EBADR {
			// The kernel had no memory to keep a completion the full CQ
			// could not take, and dropped it: a caller waits for ever.
			panic("uring: io_uring_enter: a completion was dropped (EBADR): the kernel ran out of memory for completions beyond the CQ")
		}
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

// How the owner goes on once it has filled the SQ (nextWait).
const (
	waitNone   = iota // io_uring_enter to submit and reap, without waiting
	waitDeep          // wait for a completion; work handed over wakes the owner (eventfd)
	waitNap           // wait for a completion or napFor; work handed over waits for it
	waitYield         // first hand the P to the callers just woken (runtime.Gosched), then look again
	waitRetake        // work arrived while spinning: take it before entering
)

// nextWait decides how the owner waits next, with toSubmit SQEs to submit,
// woke telling whether callers were woken since the P was last handed over,
// and stopping the value the owner saw when it last took work. Before a wait
// it announces it in r.sleep (sleepDeep or sleepNap), which the caller sets
// back to sleepAwake once io_uring_enter returns.
func (r *Ring) nextWait(toSubmit uint32, woke, stopping bool) int {
	if r.inflight > 0 && toSubmit == 0 && woke {
		// About to wait with callers just woken sitting in this P's
		// run queue: io_uring_enter would block holding the P
		// (syscall.Syscall only marks it "in syscall"), and if every
		// other P is busy nothing runs them until sysmon retakes it,
		// 20 µs to 10 ms later. Gosched on a locked goroutine hands
		// the P, run queue and all, to another thread at once; this
		// thread resumes when a P is free. Then look again for work.
		return waitYield
	}
	spun := spinIdle
	if r.inflight > 0 && toSubmit == 0 {
		spun = r.spin()
		if spun == spinPosted {
			return waitRetake
		}
	}
	if r.inflight == 0 || spun == spinKernel {
		return waitNone
	}
	how := waitDeep
	if r.busy && r.nap != nil && int(r.active.Load()) > r.procs {
		how = waitNap
		r.sleep.Store(sleepNap)
	} else {
		r.sleep.Store(sleepDeep)
	}
	r.mu.Lock()
	if len(r.incoming) > 0 || len(r.cancels) > 0 || r.stopping != stopping {
		how = waitNone
	}
	r.mu.Unlock()
	// Cancels and requests still held back wait for room. Room in
	// the SQ comes from this very enter: if it submits anything,
	// do not wait, fill again (the SQ need not be full: a request
	// with a linked timeout needs two entries). With nothing to
	// submit the SQ is empty, so only requests held back by
	// Config.MaxInFlight are left, and room for them comes only from
	// completions: waiting for one is right. Cancels never wait for
	// the CQ.
	if (len(r.backlog) > 0 || len(r.cwork) > 0) && toSubmit > 0 {
		how = waitNone
	}
	if woke {
		how = waitNone // submit only; hand the P over before waiting
	}
	return how
}

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
		if atomic.LoadUint32(r.q.sqFlags)&(IORING_SQ_TASKRUN|IORING_SQ_CQ_OVERFLOW) != 0 {
			return spinKernel // completion work, or completions kept beyond the CQ
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
