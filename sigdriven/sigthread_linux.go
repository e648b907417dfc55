package sigdriven

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A sigThread is an OS thread that reads its own signals: the goroutine
// running on it is locked there, one real-time signal and SIGIO are
// blocked on it alone (pthread_sigmask(3)), so the kernel queues them
// instead of running a handler, and a signalfd(2) reads them. Every
// descriptor armed with F_SETOWN_EX F_OWNER_TID and this thread's id
// signals into this thread's queue, in order. The dispatcher (one per
// signal, for Conns) and each loop of an Engine are one.
type sigThread struct {
	sig int
	pid int
	uid int
	tid int           // the thread's id, once open returned
	sfd int           // the signalfd; used only on the thread
	set unix.Sigset_t // sig and SIGIO
	old unix.Sigset_t // the thread's mask before open
}

// goSigThread starts run on a new goroutine locked to a thread that is not
// the process's main thread, and returns what run sends on ready (nil once
// it has opened its sigThread, or why it could not). The main thread is
// avoided because signals a sigThread reads but does not own are sent on
// to it (see dispatcher.sigio), so it must never block SIGIO: a goroutine
// that finds itself there hands the work to a new goroutine, which cannot
// start on the main thread while this one holds it locked.
func goSigThread(run func(ready chan<- error)) error {
	ready := make(chan error, 1)
	go startSigThread(run, ready)
	return <-ready
}

func startSigThread(run func(ready chan<- error), ready chan<- error) {
	runtime.LockOSThread()
	if onMainThread() {
		child := make(chan error, 1)
		go startSigThread(run, child)
		err := <-child
		runtime.UnlockOSThread()
		ready <- err
		return
	}
	run(ready)
}

// open blocks sig and SIGIO on the calling thread, to which the caller
// (run of goSigThread) is locked, and opens the signalfd that reads them,
// non-blocking if nonblock. On error the thread is as it was and the
// caller unlocks it.
func (t *sigThread) open(sig int, nonblock bool) error {
	var set unix.Sigset_t
	sigaddset(&set, sig)
	sigaddset(&set, int(unix.SIGIO))
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &t.old); err != nil {
		return os.NewSyscallError("pthread_sigmask", err)
	}
	flags := unix.SFD_CLOEXEC
	if nonblock {
		flags |= unix.SFD_NONBLOCK
	}
	sfd, err := unix.Signalfd(-1, &set, flags)
	if err != nil {
		unix.PthreadSigmask(unix.SIG_SETMASK, &t.old, nil)
		return os.NewSyscallError("signalfd", err)
	}
	t.set = set
	t.sig, t.pid, t.uid, t.tid, t.sfd = sig, unix.Getpid(), unix.Getuid(), unix.Gettid(), sfd
	return nil
}

// read reads the signals queued for the thread into buf: at least one,
// sleeping in read(2) until one comes, or none (EAGAIN) if the signalfd is
// non-blocking and nothing is queued. EINTR is retried.
func (t *sigThread) read(buf []signalfdSiginfo) ([]signalfdSiginfo, error) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*sizeofSignalfdSiginfo)
	for {
		n, err := unix.Read(t.sfd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n/sizeofSignalfdSiginfo], nil
	}
}

// close reads what is still queued for the thread and hands it to drain
// (every descriptor was disarmed, so nothing new comes; what is queued
// would otherwise be delivered to the Go runtime's handler once the mask is
// restored), closes the signalfd, restores the thread's mask and unlocks
// the goroutine from it.
func (t *sigThread) close(drain func([]signalfdSiginfo)) {
	var buf [64]signalfdSiginfo
	unix.SetNonblock(t.sfd, true)
	for {
		batch, err := t.read(buf[:])
		if err != nil || len(batch) == 0 {
			break
		}
		drain(batch)
	}
	unix.Close(t.sfd)
	unix.PthreadSigmask(unix.SIG_SETMASK, &t.old, nil)
	runtime.UnlockOSThread()
}

// queue sends the thread a marker, behind every signal already queued for
// it, with rt_tgsigqueueinfo(2): si_code SI_QUEUE, si_pid ours, si_errno
// markerMagic|kind, si_int arg. It fails with EAGAIN when the queue is full
// (RLIMIT_SIGPENDING).
func (t *sigThread) queue(kind, arg int) error {
	var si siginfo
	si.signo = int32(t.sig)
	si.errno = markerMagic | int32(kind)
	si.code = siQueue
	si.pid = int32(t.pid)
	si.uid = uint32(t.uid)
	si.sigval = int32(arg)
	_, _, e := unix.RawSyscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(t.pid), uintptr(t.tid), uintptr(t.sig), uintptr(unsafe.Pointer(&si)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// wake makes a sleeping read return: a marker of kind if the queue has
// room, else plain SIGIO, which is never refused (a standard signal merges
// with one already pending, signal(7)) and which the thread reads too.
// Both are sent to the thread alone (rt_tgsigqueueinfo, tgkill), so no
// other thread's signalfd takes them, and they stay pending until this
// thread reads them: a read that begins after wake returns finds one, a
// read asleep is ended (the dispatcher's stopping flag is set before its
// wake, and looked at after each read).
func (t *sigThread) wake(kind int) {
	if t.queue(kind, 0) != nil {
		unix.Tgkill(t.pid, t.tid, unix.SIGIO)
	}
}

// The kinds of signal a sigThread reads (classify).
const (
	sigOther    = iota // someone's kill(2) or sigqueue(3) of our signal: names no descriptor
	sigReady           // a readiness signal: si_fd, si_band
	sigMarker          // a marker we queued: si_errno's low bits, si_int
	sigOwnWake         // our own tgkill(SIGIO), sent when a marker could not be queued
	sigOverflow        // plain SIGIO from the kernel: the real-time queue was full
)

// classify says what si is.
func (t *sigThread) classify(si *signalfdSiginfo) int {
	switch {
	case si.signo == uint32(unix.SIGIO):
		if si.code == siTkill && int(si.pid) == t.pid {
			return sigOwnWake
		}
		return sigOverflow
	case si.code == siQueue && int(si.pid) == t.pid && si.errno&^0xffff == markerMagic:
		return sigMarker
	case si.code >= pollIn && si.code <= pollHup:
		return sigReady
	}
	return sigOther
}

// forwardSIGIO sends a plain SIGIO on to the main thread. A signalfd also
// reads signals sent to the whole process (signalfd(2)), so a SIGIO read
// here may not have been ours: broadcast mode's, or that of a program's own
// O_ASYNC descriptor and signal.Notify. The main thread does not block
// SIGIO (goSigThread), so the Go runtime's handler and os/signal still see
// it.
func (t *sigThread) forwardSIGIO() { unix.Tgkill(t.pid, t.pid, unix.SIGIO) }
