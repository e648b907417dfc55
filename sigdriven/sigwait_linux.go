package sigdriven

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoPoll is the start of siginfo_t with the _sigpoll member of its
// union (<asm-generic/siginfo.h>): what rt_sigtimedwait(2) returns for a
// readiness signal. The union is aligned as a long (see siginfo), and
// si_band is a long.
type siginfoPoll struct {
	siginfoHead
	_    [ptrSize - 4]byte
	band uintptr // _sigpoll._band
	fd   int32   // _sigpoll._fd
}

// sigtimedwait sleeps until one of the thread's signals (t.set) is
// pending, or for at most d (d < 0: no limit), takes it from the queue
// with rt_sigtimedwait(2) and puts it in *out in the signalfd's form, so
// that one reader handles both. It reports false when d passed or the
// sleep was interrupted (EINTR: a signal outside the set) with none taken.
func (t *sigThread) sigtimedwait(d time.Duration, out *signalfdSiginfo) (bool, error) {
	var ts *unix.Timespec
	if d >= 0 {
		v := unix.NsecToTimespec(int64(d))
		ts = &v
	}
	var si siginfo
	// The kernel's sigset_t is _NSIG bits (8 bytes), whatever the size of
	// unix.Sigset_t.
	_, _, e := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&t.set)), uintptr(unsafe.Pointer(&si)), uintptr(unsafe.Pointer(ts)), sigRTMax/8, 0, 0)
	switch e {
	case 0:
	case unix.EAGAIN, unix.EINTR:
		return false, nil
	default:
		return false, e
	}
	*out = signalfdSiginfo{signo: uint32(si.signo), errno: si.errno, code: si.code}
	switch {
	case si.code >= pollIn && si.code <= pollHup:
		p := (*siginfoPoll)(unsafe.Pointer(&si))
		out.band, out.fd = uint32(p.band), p.fd
	default: // SI_QUEUE, SI_TKILL, SI_USER: _rt and _kill start alike
		out.pid, out.uid, out.int = uint32(si.pid), si.uid, si.sigval
	}
	return true, nil
}

// Interest bits of a descriptor a sigWaiter watches.
const (
	wantRead  = 1
	wantWrite = 2
)

// markerWake is the marker kind that ends a loop's sleep (sigWaiter.wake).
const markerWake = 3

// A sigWaiter is how one loop of an Engine waits: its sigThread's queue of
// real-time signals is the readiness list. Every descriptor it watches is
// armed (F_SETSIG its signal, F_SETOWN_EX F_OWNER_TID its thread, O_ASYNC,
// O_NONBLOCK), so each readiness event queues one signal that names the
// descriptor (si_fd) and the direction (si_band); wait reads them in
// batches from the signalfd, or sleeps for the first in
// rt_sigtimedwait(2), which takes a timeout.
//
// Signals are edges: one comes when data or room arrives, none while it
// stays. So a descriptor is reported ready without a signal when it is
// added and whenever an interest is switched on (data may have come
// before, while nobody listened), and the loop reads until the socket has
// nothing more.
//
// When the real-time queue is full (RLIMIT_SIGPENDING) the kernel sends
// plain SIGIO instead, without si_fd: the waiter reports every descriptor
// it watches ready for what it wants (the rescan), and nothing is lost.
// A signal for a descriptor number no longer watched, or watched again
// after a close and a reuse, is at worst one read that finds EAGAIN.
//
// All methods but wake run on the loop's goroutine, locked to the thread.
type sigWaiter struct {
	sigThread
	want    []uint8  // interest by descriptor number; 0: not watched
	seen    []uint32 // the batch (seq) that last reported the number
	seq     uint32
	pending []int // numbers to report at the next wait without sleeping
	woken   atomic.Bool
	buf     [64]signalfdSiginfo

	Signals, Overflows, Stale uint64
}

// grow makes room for descriptor number fd.
func (w *sigWaiter) grow(fd int) {
	if fd < len(w.want) {
		return
	}
	n := max(2*len(w.want), fd+1, 64)
	want := make([]uint8, n)
	copy(want, w.want)
	seen := make([]uint32, n)
	copy(seen, w.seen)
	w.want, w.seen = want, seen
}

// add arms fd for the loop's signal and thread and watches it for want.
// It is reported ready at the next wait: data may have come before it was
// armed, and no signal says so.
func (w *sigWaiter) add(fd int, want uint8) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return err
	}
	if err := arm(fd, w.sig, fOwnerTID, w.tid); err != nil {
		return err
	}
	w.grow(fd)
	w.want[fd] = want
	w.pending = append(w.pending, fd)
	return nil
}

// modify changes what fd is watched for; an interest switched on is
// reported at the next wait (see add).
func (w *sigWaiter) modify(fd int, want uint8) {
	if want&^w.want[fd] != 0 {
		w.pending = append(w.pending, fd)
	}
	w.want[fd] = want
}

// remove disarms fd and stops watching it; it runs before close(2).
func (w *sigWaiter) remove(fd int) {
	disarm(fd)
	if fd < len(w.want) {
		w.want[fd] = 0
	}
}

// wake ends the loop's sleep, or its next one: safe from any goroutine.
// Wake-ups merge until the loop has read the one sent.
func (w *sigWaiter) wake() {
	if w.woken.Swap(true) {
		return
	}
	w.sigThread.wake(markerWake)
}

// wait reports the descriptors that became ready, each once, with what it
// is watched for and ready to do (emit), sleeping for at most d when none
// is yet (d < 0: no limit; 0: no sleep). It returns how many it reported.
func (w *sigWaiter) wait(d time.Duration, emit func(fd int, ready uint8)) (int, error) {
	w.seq++
	n := 0
	for _, fd := range w.pending {
		n += w.report(fd, wantRead|wantWrite, emit)
	}
	w.pending = w.pending[:0]
	batch, err := w.read(w.buf[:])
	if err != nil && err != unix.EAGAIN {
		return n, err
	}
	if len(batch) == 0 && n == 0 && d != 0 {
		ok, err := w.sigtimedwait(d, &w.buf[0])
		if err != nil {
			return 0, err
		}
		if ok {
			batch = w.buf[:1]
		}
	}
	for i := range batch {
		n += w.handle(&batch[i], emit)
	}
	return n, nil
}

// handle acts on one signal.
func (w *sigWaiter) handle(si *signalfdSiginfo, emit func(fd int, ready uint8)) int {
	switch w.classify(si) {
	case sigReady:
		w.Signals++
		var r uint8
		if si.band&(bandRead|bandBoth) != 0 {
			r |= wantRead
		}
		if si.band&(bandWrite|bandBoth) != 0 {
			r |= wantWrite
		}
		if r == 0 { // a band we do not know: both, to be safe
			r = wantRead | wantWrite
		}
		fd := int(si.fd)
		if fd < 0 || fd >= len(w.want) || w.want[fd] == 0 {
			w.Stale++
			return 0
		}
		return w.report(fd, r, emit)
	case sigOverflow:
		// The real-time signal could not be queued, and its si_fd is lost
		// with it: rescan every descriptor. The SIGIO may also have been
		// the process's own (a program's O_ASYNC descriptor): pass it on.
		w.Overflows++
		w.forwardSIGIO()
		n := 0
		for fd, want := range w.want {
			if want != 0 {
				n += w.report(fd, wantRead|wantWrite, emit)
			}
		}
		return n
	case sigMarker, sigOwnWake:
		w.woken.Store(false)
	}
	return 0
}

// report emits fd with what it is ready for and watched for, unless this
// wait already reported it; later reports of the same wait add to the
// first one's directions only by emitting again.
func (w *sigWaiter) report(fd int, ready uint8, emit func(fd int, ready uint8)) int {
	r := ready & w.want[fd]
	if r == 0 {
		return 0
	}
	if w.seen[fd] == w.seq {
		// Reported already in this wait: the loop tries both directions
		// it wants anyway.
		return 0
	}
	w.seen[fd] = w.seq
	emit(fd, w.want[fd])
	return 1
}
