package sigdriven

import (
	"os"
	"runtime"
	"time"
	"unsafe"

	"github.com/iomodel/iomodel/internal/loop"
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

// markerWake is the marker kind that ends a loop's sleep (sigWaiter.Wake).
const markerWake = 3

// A sigWaiter is how one loop of an Engine waits: its sigThread's queue of
// real-time signals is the readiness list. It is a loop.ThreadBackend: the
// loop runs on the thread (Go), and every descriptor it watches is armed
// for it (F_SETSIG its signal, F_SETOWN_EX F_OWNER_TID its thread,
// O_ASYNC), so each readiness event queues one signal that names the
// descriptor (si_fd) and the direction (si_band). Wait reads them in
// batches from the signalfd, or sleeps for the first in
// rt_sigtimedwait(2), which takes a timeout.
//
// Signals are edges: one comes when data or room arrives, none while it
// stays. So the waiter is edge-triggered, and a descriptor is reported
// ready once without a signal when it is added: data may have come before
// it was armed.
//
// When the real-time queue is full (RLIMIT_SIGPENDING) the kernel sends
// plain SIGIO instead, without si_fd: the waiter reports every descriptor
// it watches ready (the rescan), so nothing is lost. A signal for a
// descriptor number no longer watched, or watched again after a close and
// a reuse, costs at worst one read that finds EAGAIN.
//
// All methods but Wake, Go and an early Close run on the loop's thread.
type sigWaiter struct {
	sigThread
	watch   []watched // by descriptor number
	seq     uint32    // Waits so far
	pending []int     // numbers to report at the next Wait without a signal
	buf     [64]signalfdSiginfo

	start chan func() // the loop to run on the thread, or nil to give it back
	done  chan struct{}
	onIt  bool // the loop runs on the thread
}

// watched is what a sigWaiter knows about one descriptor number.
type watched struct {
	on   bool
	tag  uint64
	seen uint32 // the Wait that last reported it
}

var _ loop.ThreadBackend = (*sigWaiter)(nil)

// newSigWaiter starts a thread for a loop that waits for signal sig: it
// blocks sig and SIGIO there and opens its signalfd, then waits for Go
// (or Close).
func newSigWaiter(sig int) (*sigWaiter, error) {
	w := &sigWaiter{start: make(chan func()), done: make(chan struct{})}
	err := goSigThread(func(ready chan<- error) {
		if err := w.open(sig, true); err != nil {
			runtime.UnlockOSThread()
			ready <- err
			return
		}
		ready <- nil
		run := <-w.start
		if run == nil {
			w.close(func([]signalfdSiginfo) {})
			close(w.done)
			return
		}
		w.onIt = true
		run() // ends with Close, on this thread
		close(w.done)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Go is loop.ThreadBackend's: run runs on the waiter's thread.
func (w *sigWaiter) Go(run func()) { w.start <- run }

// Close is loop.Backend's: the thread reads what is still queued,
// closes its signalfd, gets its signal mask back and is given back to the
// Go scheduler. Every descriptor was removed (disarmed) before.
func (w *sigWaiter) Close() error {
	if !w.onIt {
		w.start <- nil
		<-w.done
		return nil
	}
	w.close(func([]signalfdSiginfo) {})
	return nil
}

// EdgeTriggered is loop.Backend's: a signal is an edge.
func (w *sigWaiter) EdgeTriggered() bool { return true }

// Add is loop.Backend's: it arms fd for the loop's signal and thread. The
// socket stays in blocking mode (the loop's calls carry MSG_DONTWAIT), so
// the open file description, which a listener shares with the caller's
// duplicate, keeps its flags. fd is reported at the next Wait: data may
// have come before it was armed, and no signal says so.
func (w *sigWaiter) Add(fd int, _ loop.Interest, tag uint64) error {
	if err := arm(fd, w.sig, fOwnerTID, w.tid); err != nil {
		return err
	}
	if fd >= len(w.watch) {
		watch := make([]watched, max(2*len(w.watch), fd+1, 64))
		copy(watch, w.watch)
		w.watch = watch
	}
	w.watch[fd] = watched{on: true, tag: tag}
	w.pending = append(w.pending, fd)
	return nil
}

// Modify is loop.Backend's: an edge-triggered descriptor is watched for
// everything, always.
func (w *sigWaiter) Modify(fd int, _ loop.Interest, tag uint64) error {
	if fd < len(w.watch) && w.watch[fd].on {
		w.watch[fd].tag = tag
	}
	return nil
}

// Remove is loop.Backend's: it disarms fd (after F_SETFL clears O_ASYNC
// no more signals are queued for it) before the loop closes it.
func (w *sigWaiter) Remove(fd int) error {
	disarm(fd)
	if fd < len(w.watch) {
		w.watch[fd] = watched{}
	}
	return nil
}

// Wake is loop.Backend's: it ends the loop's sleep, or its next one, with
// a marker, or a SIGIO when the queue is full (which a SIGIO already
// pending absorbs: that one ends the sleep then). Safe from any goroutine;
// the loop sends one per sleep at most.
//
// No Wake is lost (TestSigWaiterWakeNeverLost): there is no flag to go
// stale, the wake-up is the signal itself, pending in the thread's own
// queue until Wait takes it. One queued before Wait's signalfd read is
// read there; one queued after it is pending when rt_sigtimedwait looks,
// or arrives during its sleep, and ends it. The SIGIO sent instead when
// the queue is full is thread-directed too, and one it merges with is
// still pending on this thread, which alone reads it.
func (w *sigWaiter) Wake() error {
	w.wake(markerWake)
	return nil
}

// Wait is loop.Backend's: it reports the descriptors whose signals are
// queued, each once, sleeping for at most timeout when none is.
func (w *sigWaiter) Wait(events []loop.Event, timeout time.Duration) (int, error) {
	w.seq++
	n := 0
	for len(w.pending) > 0 && n < len(events) {
		fd := w.pending[len(w.pending)-1]
		w.pending = w.pending[:len(w.pending)-1]
		n = w.report(events, n, fd)
	}
	if n == len(events) {
		return n, nil
	}
	// Read no more signals than there is room for events: a rescan can
	// fill them all, and what is read is taken from the queue.
	room := min(len(w.buf), len(events)-n)
	batch, err := w.read(w.buf[:room])
	if err != nil && err != unix.EAGAIN {
		return n, os.NewSyscallError("read signalfd", err)
	}
	if len(batch) == 0 && n == 0 && timeout != 0 {
		ok, err := w.sigtimedwait(timeout, &w.buf[0])
		if err != nil {
			return 0, os.NewSyscallError("rt_sigtimedwait", err)
		}
		if ok {
			batch = w.buf[:1]
		}
	}
	for i := range batch {
		n = w.handle(&batch[i], events, n)
	}
	return n, nil
}

// handle acts on one signal, adding to events[:n] what it reports.
func (w *sigWaiter) handle(si *signalfdSiginfo, events []loop.Event, n int) int {
	switch w.classify(si) {
	case sigReady:
		counters.signals.Add(1)
		fd := int(si.fd)
		if fd < 0 || fd >= len(w.watch) || !w.watch[fd].on {
			counters.stale.Add(1)
			return n
		}
		return w.report(events, n, fd)
	case sigOverflow:
		// The real-time signal could not be queued, and its si_fd is lost
		// with it: rescan every descriptor. The SIGIO may also have been
		// the process's own (a program's O_ASYNC descriptor): pass it on.
		counters.overflows.Add(1)
		w.forwardSIGIO()
		for fd := range w.watch {
			if w.watch[fd].on {
				w.pending = append(w.pending, fd)
			}
		}
		for len(w.pending) > 0 && n < len(events) {
			fd := w.pending[len(w.pending)-1]
			w.pending = w.pending[:len(w.pending)-1]
			n = w.report(events, n, fd)
		}
	}
	// A marker or our own SIGIO only had to end the sleep; anything else
	// (someone's kill(2) of our signal) names no descriptor.
	return n
}

// report adds fd to events[:n] as ready for everything (the loop reads
// until EAGAIN and flushes what is queued), unless this Wait reported it
// already or there is no room left, in which case it waits in pending for
// the next Wait.
func (w *sigWaiter) report(events []loop.Event, n, fd int) int {
	f := &w.watch[fd]
	if !f.on || f.seen == w.seq {
		return n
	}
	if n == len(events) {
		w.pending = append(w.pending, fd)
		return n
	}
	f.seen = w.seq
	events[n] = loop.Event{Tag: f.tag, Ready: loop.Read | loop.Write}
	return n + 1
}
