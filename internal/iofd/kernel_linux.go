package iofd

import (
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The blocking model sleeps in the kernel, and a deadline is a socket
// timeout (SO_RCVTIMEO, SO_SNDTIMEO, socket(7)) armed from the time left
// before each system call. A deadline set while the call sleeps must reach
// it: signal(7) says a socket call with such a timeout set is never
// restarted after a signal handler runs, whatever SA_RESTART says, and
// fails with EINTR. So the call records the thread it sleeps on, and
// SetDeadline sends that thread SIGURG (which the Go runtime already
// handles on every thread, as its preemption signal, harmlessly) until the
// call has re-armed its timeout from the new deadline. With no deadline the
// timeout is noTimeout, armed once, so that the signal still interrupts.
//
// What it costs: a gettid(2) per call, and a setsockopt(2) per call that has
// a deadline. Where it cannot apply: a pipe, FIFO, tty or file has no
// timeout option, and read(2) there is restarted after the signal, so the
// blocking model refuses deadlines on them (deadlineSupported).

// noTimeout is the timeout armed when there is no deadline: long, but below
// the kernel's "none" (MAX_SCHEDULE_TIMEOUT jiffies, 24.8 days on 32-bit at
// HZ=1000), which would let SA_RESTART restart the call.
const noTimeout = 24 * time.Hour

// kernelCall is one blocking socket call, recvfrom(2) or sendto(2), that a
// signal can reach; see above.
func (fd *FD) kernelCall(h *Half, op OpKind, p []byte) (int, error) {
	trap, flags := uintptr(unix.SYS_SENDTO), fd.sendFlags
	if op == OpRecv {
		trap, flags = unix.SYS_RECVFROM, fd.recvFlags
	}
	r, err := fd.sleepCall(h, trap, uintptr(fd.Sysfd), bufPtr(p), uintptr(len(p)), uintptr(flags), 0, 0)
	return int(r), err
}

// sleepCall makes the blocking system call trap, one that may sleep in the
// kernel, where a moved deadline's signal must reach it: it arms the
// socket timeout from the deadline (armKernel), records the thread and
// makes the call with nothing in between that could move the goroutine to
// another thread (sleepSyscall6), and ends with leaveKernel. A SetDeadline
// that ran after the timeout was armed and before the thread was recorded
// may have found no thread to signal; the call then answers EINTR at once,
// and the caller's loop checks the deadline and comes back. The second
// argument is the call's one pointer (recvfrom's buffer, recvmsg's
// msghdr, ...), kept an unsafe.Pointer until the system call itself, so
// that what it points to stays alive and put (unsafe.Pointer's rule 4).
func (fd *FD) sleepCall(h *Half, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, error) {
	gen, err := fd.armKernel(h)
	if err != nil {
		return 0, err
	}
	r, e := sleepSyscall6(h, gen, trap, a1, a2, a3, a4, a5, a6)
	fd.leaveKernel(h)
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// armKernel arms h's socket timeout from its deadline and returns the
// deadline generation read before the deadline was, which it records as
// the one armed (interruptKernel stops signalling once a call has armed the
// latest).
func (fd *FD) armKernel(h *Half) (uint32, error) {
	h.k.entered = nanotime()
	gen := h.k.gen.Load()
	if err := fd.armTimeout(h); err != nil {
		return 0, err
	}
	h.k.armed.Store(gen)
	return gen, nil
}

// sleepSyscall6 records the thread it runs on as the one a call in h sleeps
// on, then makes the system call: syscall.Syscall6, which tells the
// scheduler the thread is in the kernel. If gen is no longer h's latest
// deadline generation once the thread is recorded, a SetDeadline may have
// missed it: it answers EINTR instead, and records nothing.
//
// Why it is nosplit: a goroutine moved to another thread between gettid(2)
// and the system call would sleep where no signal is sent, until its
// previous timeout (24 hours with no deadline). A goroutine moves only
// when it is descheduled, and a nosplit function has no preemption point,
// neither the stack check of a prologue nor an asynchronous safe point;
// gettid and Syscall6 are nosplit themselves, and the atomics are
// intrinsics. Recorded any earlier, even before the setsockopt(2) that arms
// the timeout, the thread was wrong whenever the goroutine came back from
// that call on another thread (a stop-the-world, or sysmon taking the P):
// a deadline moved under a pending Read was lost in 6 of 40 tries, and
// with the recording after setsockopt but outside this function, in 1 of
// about 4000 rounds of TestDeadlineReachesSleepingCall. Locking the
// goroutine to its thread instead doubled the round trip (blocking/README.md).
//
//go:nosplit
func sleepSyscall6(h *Half, gen uint32, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	tid, _ := unix.RawSyscallNoError(unix.SYS_GETTID, 0, 0, 0)
	h.k.kernel.Store(int32(tid))
	if h.k.gen.Load() != gen {
		h.k.kernel.Store(0)
		return 0, unix.EINTR
	}
	r, _, e := unix.Syscall6(trap, a1, uintptr(a2), a3, a4, a5, a6)
	return r, e
}

// enterKernel is armKernel and the recording of the thread for the calls
// made through x/sys's wrappers (accept4, sendfile, splice), which are not
// nosplit: between the recording and the system call there are a few
// instructions where a preemption could still move the goroutine (see
// sleepSyscall6), and interruptKernel then signals the wrong thread.
func (fd *FD) enterKernel(h *Half) error {
	for {
		gen, err := fd.armKernel(h)
		if err != nil {
			return err
		}
		if markKernel(h, gen) {
			return nil
		}
	}
}

// markKernel records the thread a call in h is about to sleep on. gen is
// the deadline generation read before the call's timeout was worked out; it
// reports whether gen is still the latest. If not, a SetDeadline may have
// found no thread to signal, nothing is recorded, and the caller works its
// timeout out again.
func markKernel(h *Half, gen uint32) bool {
	h.k.kernel.Store(int32(unix.Gettid()))
	if h.k.gen.Load() == gen {
		return true
	}
	unmarkKernel(h)
	return false
}

// leaveKernel ends what enterKernel began, once the system call returned.
func (fd *FD) leaveKernel(h *Half) {
	unmarkKernel(h)
	h.syscalls.Add(1)
	if nanotime()-h.k.entered > sleptYield {
		if testHookSlept != nil {
			testHookSlept()
		}
		runtime.Gosched()
	}
}

// testHookSlept, when set (by tests only), runs when leaveKernel yields.
var testHookSlept func()

// sleptYield is how long a blocking call must have been in the kernel for
// leaveKernel to give up its P: long enough that it most likely slept.
//
// A goroutine whose system call sleeps keeps its P until sysmon retakes
// it, which sysmon does only for a call it sees on two of its ticks (20
// µs to 10 ms apart); a call back before then takes its P up again at
// once, while every call whose P was retaken queues for one in the global
// run queue. Under load a few connections whose client answers quickly
// thus kept both Ps while the rest waited; yielding after a sleep puts the
// caller behind the others in that queue (blocking/README.md has the
// figures). The yield costs a call that slept about a quarter of a
// microsecond; one that did not sleep pays two clock reads.
const sleptYield = 20 * int64(time.Microsecond)

// nanotime is monotonic time in nanoseconds.
func nanotime() int64 { return int64(time.Since(epoch)) }

var epoch = time.Now()

func unmarkKernel(h *Half) { h.k.kernel.Store(0) }

// armTimeout sets h's socket timeout from its deadline. A deadline already
// passed is reported as such.
func (fd *FD) armTimeout(h *Half) error {
	dl := h.deadline.Load()
	if dl == 0 && h.k.timeoutSet {
		return nil
	}
	left := noTimeout
	if dl != 0 {
		left = time.Duration(dl - time.Now().UnixNano())
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
	}
	opt := unix.SO_RCVTIMEO
	if h.dir == Write {
		opt = unix.SO_SNDTIMEO
	}
	// Round up to the option's microseconds; 0 would mean "never".
	tv := unix.NsecToTimeval(int64(left + time.Microsecond - 1))
	if err := unix.SetsockoptTimeval(fd.Sysfd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	h.k.timeoutSet = dl == 0
	return nil
}

// timedOut is the blocking model's answer to EAGAIN from a socket call: its
// timeout ran out. The loop tries again, and its check reports a passed
// deadline; a deadline moved later, or noTimeout running out, re-arms. An
// EAGAIN with no timeout of ours behind it means someone set O_NONBLOCK on
// the shared open file description.
func (fd *FD) timedOut(h *Half) error {
	if h.deadline.Load() == 0 {
		fl, err := unix.FcntlInt(uintptr(fd.Sysfd), unix.F_GETFL, 0)
		if err == nil && fl&unix.O_NONBLOCK != 0 {
			return fmt.Errorf("%s: fd %d returned EAGAIN in blocking mode (was O_NONBLOCK set on it from elsewhere?): %w", fd.Model, fd.Sysfd, unix.EAGAIN)
		}
	}
	h.k.timeoutSet = false
	return errAgain
}

// interruptKernel, Half.SetDeadline's interrupt in the blocking model,
// signals the thread h's call sleeps on until the call has re-armed its
// timeout from the latest deadline, or left the kernel. A signal that lands
// just before the call enters the kernel is lost, hence the repeats. After
// each signal it waits for the call to notice by yielding its P
// (runtime.Gosched), not by sleeping: net/http moves the read deadline of
// a pending Read on every request (to abort its background read), and a
// timer's sleep, a millisecond or more on a busy machine, would be on every
// request's path. The wait grows from 50 µs to 1 ms, for at most about 50 ms
// in all.
func interruptKernel(h *Half) {
	gen := h.k.gen.Load()
	done := func() bool { return h.k.kernel.Load() == 0 || h.k.armed.Load() == gen }
	wait := 50 * time.Microsecond
	for total := time.Duration(0); total < 50*time.Millisecond; total += wait {
		tid := h.k.kernel.Load()
		if tid == 0 || h.k.armed.Load() == gen {
			return
		}
		unix.Tgkill(pid, int(tid), unix.SIGURG)
		for until := time.Now().Add(wait); time.Now().Before(until); {
			if done() {
				return
			}
			runtime.Gosched()
		}
		wait = min(2*wait, time.Millisecond)
	}
}

var pid = unix.Getpid()
