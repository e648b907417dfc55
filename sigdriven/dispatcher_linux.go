package sigdriven

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// readier is what a wake-up is delivered to: one direction of one
// descriptor (a latch in front of its iofd.Half). Ready must never block;
// it reports whether it woke a sleeping goroutine.
type readier interface{ Ready() bool }

// registration is one descriptor armed for signals: in precise mode with
// its dispatcher d, in broadcast mode with the broadcaster b.
type registration struct {
	d    *dispatcher
	b    *broadcaster
	fd   int
	r, w readier
	regStats
}

// A dispatcher is one OS thread that owns one real-time signal: it blocks
// that signal and SIGIO (pthread_sigmask(3)), so the kernel queues them on
// it instead of running a handler, and reads them from a signalfd(2) in a
// blocking read(2). Every armed descriptor names this thread as its owner
// (F_SETOWN_EX, F_OWNER_TID), so its signals are thread-directed and wait
// in this thread's queue, in order, whether or not the thread is reading.
//
// The slots are indexed by descriptor number, since that is all a signal
// says (si_fd). A number can be closed and handed out again while signals
// about its old descriptor still wait in the queue; see retire.
type dispatcher struct {
	sigThread     // set up before acquire returns
	refs      int // registrations; under registry.mu

	stopping atomic.Bool
	done     chan struct{} // closed when the thread is given back

	mu    sync.Mutex
	slots []slot
	nregs int
	woke  bool // a batch woke a sleeping goroutine; under mu
}

// slot is what the dispatcher knows about one descriptor number.
type slot struct {
	reg *registration
	// retiring counts retire markers queued and not read yet. Signals for
	// this number that are read while it is above zero were queued before
	// the marker, so before the old descriptor was closed: stale.
	retiring uint32
}

// Marker signals the package queues to a dispatcher thread itself with
// rt_tgsigqueueinfo(2): si_code SI_QUEUE, si_pid ours, si_errno
// markerMagic|kind, si_int fd. They share the queue with the
// kernel's readiness signals, so their order among them is known.
const (
	markerMagic  = 0x51640000
	markerRetire = 1 // fd's registration is gone: what was queued before is stale
	markerStop   = 2 // wake up and look at stopping
)

// beforeRead, if set, runs on the dispatcher thread before each read of
// the signalfd: tests use it to hold the thread away from read(2).
var beforeRead atomic.Pointer[func()]

// onMainThread reports whether the calling goroutine runs on the process's
// main thread (its thread id is the process id). A variable, so that a
// test can take the path a dispatcher takes when it starts there.
var onMainThread = func() bool { return unix.Gettid() == unix.Getpid() }

// registry holds the running dispatcher of each signal.
var registry struct {
	mu sync.Mutex
	m  map[int]*dispatcher
}

// acquire returns the running dispatcher for sig, starting one if there is
// none, with one more reference.
func acquire(sig int) (*dispatcher, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if d := registry.m[sig]; d != nil {
		d.refs++
		return d, nil
	}
	d := &dispatcher{done: make(chan struct{})}
	if err := goSigThread(func(ready chan<- error) { d.run(sig, ready) }); err != nil {
		return nil, err
	}
	counters.dispatchers.Add(1)
	if registry.m == nil {
		registry.m = make(map[int]*dispatcher)
	}
	registry.m[sig] = d
	d.refs = 1
	return d, nil
}

// release drops a reference; the last one stops the dispatcher and waits
// until its thread is given back and its signalfd closed, so that the last
// Close leaves the process as it found it. A new registration meanwhile
// starts a new dispatcher.
func (d *dispatcher) release() {
	registry.mu.Lock()
	d.refs--
	last := d.refs == 0
	if last {
		delete(registry.m, d.sig)
		d.stopping.Store(true)
	}
	registry.mu.Unlock()
	if last {
		d.wake(markerStop)
		<-d.done
	}
}

// run is the dispatcher's goroutine, locked to its thread (goSigThread).
// It tells ready when the thread is set up (or why it could not be),
// serves signals until stopping, then gives the thread back as it found
// it.
func (d *dispatcher) run(sig int, ready chan<- error) {
	if err := d.open(sig, false); err != nil {
		runtime.UnlockOSThread()
		ready <- err
		return
	}
	ready <- nil

	var buf [64]signalfdSiginfo
	for !d.stopping.Load() {
		if h := beforeRead.Load(); h != nil {
			(*h)()
		}
		batch, err := d.read(buf[:])
		if err != nil {
			panic(fmt.Sprintf("sigdriven: read from signalfd %d: %v", d.sfd, err))
		}
		if d.handle(batch) {
			// The goroutines just woken sit in this thread's P's run
			// queue, and the next read(2) would hold that P in a system
			// call until sysmon takes it away (20µs or much more). Yield
			// it now so that another thread runs them at once.
			runtime.Gosched()
		}
	}
	d.close(func(batch []signalfdSiginfo) { d.handle(batch) })
	close(d.done)
}

// handle acts on one batch of signals read from the signalfd. It reports
// whether it woke a sleeping goroutine.
func (d *dispatcher) handle(batch []signalfdSiginfo) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.woke = false
	for i := range batch {
		si := &batch[i]
		switch d.classify(si) {
		case sigOverflow:
			d.sigio()
		case sigMarker:
			d.marker(int(si.errno&0xffff), int(si.int))
		case sigReady:
			d.ready(int(si.fd), si.band)
		}
		// Our own wake-up (release) only had to end the read, and
		// anything else (someone's kill(2) or sigqueue(3) of our signal)
		// names no descriptor and is dropped.
	}
	return d.woke
}

// Which si_band bits (poll(2)) wake which direction. The kernel fills
// si_band from the POLL_* reason (fs/fcntl.c band_table): POLL_IN and
// POLL_MSG mean readable, POLL_OUT writable, POLL_PRI urgent data, and
// POLL_ERR and POLL_HUP concern both directions.
const (
	pollRdNorm = 0x040 // POLLRDNORM, <asm-generic/poll.h>
	pollRdBand = 0x080 // POLLRDBAND
	pollWrNorm = 0x100 // POLLWRNORM
	pollWrBand = 0x200 // POLLWRBAND
	pollMsg    = 0x400 // POLLMSG

	bandRead  = unix.POLLIN | pollRdNorm | pollRdBand | unix.POLLPRI | pollMsg | unix.POLLRDHUP
	bandWrite = unix.POLLOUT | pollWrNorm | pollWrBand
	bandBoth  = unix.POLLERR | unix.POLLHUP
)

// ready wakes the direction of the descriptor a readiness signal names.
// Called with d.mu held, which keeps registrations from going away.
func (d *dispatcher) ready(fd int, band uint32) {
	counters.signals.Add(1)
	if fd < 0 || fd >= len(d.slots) {
		counters.stale.Add(1)
		return
	}
	s := &d.slots[fd]
	if s.retiring > 0 || s.reg == nil {
		counters.stale.Add(1)
		return
	}
	reg := s.reg
	reg.signals.Add(1)
	rd := band&(bandRead|bandBoth) != 0
	wr := band&(bandWrite|bandBoth) != 0
	if !rd && !wr { // a band we do not know: wake both, to be safe
		rd, wr = true, true
	}
	// Count before waking, so a woken caller sees its wake-up counted.
	n := uint64(0)
	if rd {
		n++
	}
	if wr {
		n++
	}
	reg.precise.Add(n)
	counters.precise.Add(n)
	if rd && reg.r.Ready() {
		d.woke = true
	}
	if wr && reg.w.Ready() {
		d.woke = true
	}
}

// marker acts on a marker signal. Called with d.mu held.
func (d *dispatcher) marker(kind, fd int) {
	if kind == markerRetire && fd >= 0 && fd < len(d.slots) && d.slots[fd].retiring > 0 {
		d.slots[fd].retiring--
	}
	// markerStop only had to end the read; run looks at stopping.
}

// sigio acts on a plain SIGIO. Called with d.mu held.
//
// The kernel sends SIGIO in place of the real-time signal when that cannot
// be queued (fs/fcntl.c send_sigio_to_task; signal(7): RLIMIT_SIGPENDING),
// and the lost signal's si_fd with it: every direction of every
// registration is woken, and each retries its system call.
//
// A signalfd also reads signals sent to the whole process (signalfd(2)), so
// the SIGIO may not have been ours: broadcast mode's, or that of a user's
// own O_ASYNC descriptor and signal.Notify: it is sent on to the main
// thread (forwardSIGIO).
func (d *dispatcher) sigio() {
	counters.overflows.Add(1)
	for i := range d.slots {
		reg := d.slots[i].reg
		if reg == nil {
			continue
		}
		reg.broadcast.Add(2)
		counters.broadcast.Add(2)
		if reg.r.Ready() {
			d.woke = true
		}
		if reg.w.Ready() {
			d.woke = true
		}
	}
	d.forwardSIGIO()
}

// add puts reg in its slot; one registration per descriptor number.
func (d *dispatcher) add(reg *registration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if reg.fd >= len(d.slots) {
		n := max(2*len(d.slots), reg.fd+1, 64)
		slots := make([]slot, n)
		copy(slots, d.slots)
		d.slots = slots
	}
	s := &d.slots[reg.fd]
	if s.reg != nil {
		return fmt.Errorf("fd %d is already registered with the signal dispatcher", reg.fd)
	}
	s.reg = reg
	d.nregs++
	return nil
}

// retire takes reg out of its slot after its descriptor was disarmed, and
// fences off the signals still queued for it.
//
// The race it closes: readiness signals for fd wait in the queue; the
// descriptor is closed; open(2) or socket(2) returns the same number for a
// new descriptor, which registers here. A signal read now says only "fd
// N": it cannot tell the old descriptor from the new one. So retire queues
// a marker behind everything already queued for the thread (the kernel
// keeps one thread's queue of one signal in order, and disarm guarantees
// that nothing more comes for the old descriptor), and until the marker is
// read, signals for N are stale and dropped. The new descriptor's signals
// can only be queued after its registration, which comes after close(2),
// which comes after the marker: none of them is dropped.
//
// If the queue is full the marker cannot be sent; then stale signals are
// delivered to the next owner of N as spurious wake-ups (harmless: every
// wake-up is a hint, and the call just finds EAGAIN and waits again).
func (d *dispatcher) retire(reg *registration, fence bool) {
	d.mu.Lock()
	s := &d.slots[reg.fd]
	if s.reg == reg {
		s.reg = nil
		d.nregs--
	}
	if fence {
		s.retiring++
	}
	d.mu.Unlock()
	if fence && d.sigThread.queue(markerRetire, reg.fd) != nil {
		counters.unfenced.Add(1)
		d.mu.Lock()
		d.slots[reg.fd].retiring--
		d.mu.Unlock()
	}
}

// register arms fd to signal its readiness and delivers its wake-ups to r
// (readable) and w (writable): in precise mode (sig a real-time signal)
// through the dispatcher for sig, in broadcast mode (sig 0) as plain SIGIO
// to the whole process.
func register(fd, sig int, r, w readier) (*registration, error) {
	reg := &registration{fd: fd, r: r, w: w}
	if sig == 0 {
		if err := registerBroadcast(reg); err != nil {
			return nil, err
		}
		return reg, nil
	}
	if err := checkSignal(sig); err != nil {
		return nil, err
	}
	// A closed descriptor fails here, before a thread is started for it.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil {
		return nil, os.NewSyscallError("fcntl F_GETFL", err)
	}
	d, err := acquire(sig)
	if err != nil {
		return nil, err
	}
	reg.d = d
	if err := d.add(reg); err != nil {
		d.release()
		return nil, err
	}
	if err := arm(fd, sig, fOwnerTID, d.tid); err != nil {
		d.retire(reg, false)
		d.release()
		return nil, err
	}
	return reg, nil
}

// unregister disarms the descriptor and forgets it. It must run before the
// descriptor is closed (iofd's Hooks.Destroy).
func (reg *registration) unregister() {
	disarm(reg.fd)
	if reg.b != nil {
		reg.b.remove(reg)
		return
	}
	reg.d.retire(reg, true)
	reg.d.release()
}
