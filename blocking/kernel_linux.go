package blocking

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// The blocking model sleeps in the kernel, and a deadline is a socket
// timeout (SO_RCVTIMEO, SO_SNDTIMEO, socket(7)) armed from the time left
// before each system call. A deadline set while the call sleeps must reach
// it: signal(7) says a socket call with such a timeout set is never
// restarted after a signal handler runs, whatever SA_RESTART says, and
// fails with EINTR. So the call records the thread it sleeps on, and
// SetDeadline (through Evict) sends that thread SIGURG (which the Go
// runtime already handles on every thread, as its preemption signal,
// harmlessly) until the call has re-armed its timeout from the new
// deadline. With no deadline the timeout is noTimeout, armed once, so that
// the signal still interrupts.
//
// What it costs: a gettid(2) per call, and a setsockopt(2) per call that has
// a deadline. Where it cannot apply: a pipe, FIFO, tty or file has no
// timeout option, and read(2) there is restarted after the signal, so the
// blocking model refuses deadlines on them (iofd's deadlineSupported).

// noTimeout is the timeout armed when there is no deadline: long, but below
// the kernel's "none" (MAX_SCHEDULE_TIMEOUT jiffies, 24.8 days on 32-bit at
// HZ=1000), which would let SA_RESTART restart the call.
const noTimeout = 24 * time.Hour

// sleeper is the blocking model's iofd.Driver: each call sleeps in the
// kernel, on a thread a signal reaches. It keeps one kernelHalf per
// direction.
type sleeper struct {
	half [2]kernelHalf
}

// kernelHalf is what a call that sleeps in the kernel needs so that a
// signal reaches it: the thread it sleeps on (0: none), the count of
// deadline changes (gen) and the gen its socket timeout was armed from.
type kernelHalf struct {
	kernel     atomic.Int32
	gen, armed atomic.Uint32
	timeoutSet bool  // the socket timeout is the "none" one; under the Half's lock
	entered    int64 // when the call in the kernel entered it (nanotime); under the Half's lock
}

var _ iofd.Driver = (*sleeper)(nil)

// Try makes c's system call sleep in the kernel. A socket's plain and
// message calls go through sleepCall (armed, recorded and made in one
// nosplit step); accept4, sendfile and splice through x/sys's wrappers
// (enterKernel); connect(2) and RawConn's function do not sleep (Wait
// does, in poll(2)); on what is not a socket the call sleeps and no
// signal is needed, since it has no deadline.
func (s *sleeper) Try(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	if !fd.Kind.IsSocket() || c.Kind == iofd.OpConnect || c.Kind == iofd.OpPoll {
		return c.Sys(fd, h)
	}
	k := &s.half[h.Dir()]
	if trap, a1, a2, a3, a4, ok := c.Raw(fd); ok {
		r, err := k.sleepCall(fd, h, trap, a1, a2, a3, a4, 0, 0)
		return int(r), err
	}
	if err := k.enterKernel(fd, h); err != nil {
		return 0, err
	}
	n, err := c.Sys(fd, h)
	k.leaveKernel()
	return n, err
}

// Wait is called after an attempt's EAGAIN: from a sleeping call, its
// socket timeout ran out (timedOut); from connect(2) or RawConn's
// function, it sleeps in poll(2) until the socket is ready.
func (s *sleeper) Wait(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	k := &s.half[h.Dir()]
	if c.Kind == iofd.OpConnect || c.Kind == iofd.OpPoll {
		if err := k.pollKernel(fd, h); err != nil {
			return 0, err
		}
		return c.Woken()
	}
	if err := k.timedOut(fd, h); err != nil {
		return 0, err
	}
	return c.Woken()
}

// Evict reaches the calls sleeping in the kernel: on Close (h nil) by
// shutting down the directions that have one (ShutdownBusy: a blocked recv
// returns 0, a blocked send EPIPE, a blocked accept EINVAL, and the loop
// then sees the FD is closed); on a moved deadline by signalling the
// thread h's call sleeps on (interrupt).
func (s *sleeper) Evict(fd *iofd.FD, h *iofd.Half) {
	if h == nil {
		fd.ShutdownBusy()
		return
	}
	k := &s.half[h.Dir()]
	k.gen.Add(1)
	if k.kernel.Load() != 0 {
		k.interrupt()
	}
}

// Destroy has nothing to undo.
func (s *sleeper) Destroy(*iofd.FD) {}

// sleepCall makes the blocking system call trap, one that may sleep in the
// kernel, where a moved deadline's signal must reach it: it arms the
// socket timeout from the deadline (arm), records the thread and makes
// the call with nothing in between that could move the goroutine to
// another thread (sleepSyscall6), and ends with leaveKernel. A SetDeadline
// that ran after the timeout was armed and before the thread was recorded
// may have found no thread to signal; the call then answers EINTR at once,
// and the caller's loop checks the deadline and comes back. a2 is the
// call's one pointer (recvfrom's buffer, recvmsg's msghdr, ...), kept an
// unsafe.Pointer until the system call itself, so that what it points to
// stays alive and put (unsafe.Pointer's rule 4).
func (k *kernelHalf) sleepCall(fd *iofd.FD, h *iofd.Half, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, error) {
	gen, err := k.arm(fd, h)
	if err != nil {
		return 0, err
	}
	r, e := sleepSyscall6(k, gen, trap, a1, a2, a3, a4, a5, a6)
	h.Count(0, 1, 0, 0)
	k.leaveKernel()
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// arm arms h's socket timeout from its deadline and returns the deadline
// generation read before the deadline was, which it records as the one
// armed (interrupt stops signalling once a call has armed the latest).
func (k *kernelHalf) arm(fd *iofd.FD, h *iofd.Half) (uint32, error) {
	k.entered = nanotime()
	gen := k.gen.Load()
	if err := k.armTimeout(fd, h); err != nil {
		return 0, err
	}
	k.armed.Store(gen)
	return gen, nil
}

// sleepSyscall6 records the thread it runs on as the one a call sleeps
// on, then makes the system call: syscall.Syscall6, which tells the
// scheduler the thread is in the kernel. If gen is no longer the latest
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
// goroutine to its thread instead doubled the round trip (README.md).
//
//go:nosplit
func sleepSyscall6(k *kernelHalf, gen uint32, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	tid, _ := unix.RawSyscallNoError(unix.SYS_GETTID, 0, 0, 0)
	k.kernel.Store(int32(tid))
	if k.gen.Load() != gen {
		k.kernel.Store(0)
		return 0, unix.EINTR
	}
	r, _, e := unix.Syscall6(trap, a1, uintptr(a2), a3, a4, a5, a6)
	return r, e
}

// enterKernel is arm and the recording of the thread for the calls made
// through x/sys's wrappers (accept4, sendfile, splice), which are not
// nosplit: between the recording and the system call there are a few
// instructions where a preemption could still move the goroutine (see
// sleepSyscall6), and interrupt then signals the wrong thread.
func (k *kernelHalf) enterKernel(fd *iofd.FD, h *iofd.Half) error {
	for {
		gen, err := k.arm(fd, h)
		if err != nil {
			return err
		}
		if k.mark(gen) {
			return nil
		}
	}
}

// mark records the thread a call is about to sleep on. gen is the
// deadline generation read before the call's timeout was worked out; it
// reports whether gen is still the latest. If not, a SetDeadline may have
// found no thread to signal, nothing is recorded, and the caller works its
// timeout out again.
func (k *kernelHalf) mark(gen uint32) bool {
	k.kernel.Store(int32(unix.Gettid()))
	if k.gen.Load() == gen {
		return true
	}
	k.kernel.Store(0)
	return false
}

// leaveKernel ends what enterKernel or sleepCall began, once the system
// call returned.
func (k *kernelHalf) leaveKernel() {
	k.kernel.Store(0)
	if nanotime()-k.entered > sleptYield {
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
// caller behind the others in that queue (README.md has the figures). The
// yield costs a call that slept about a quarter of a microsecond; one that
// did not sleep pays two clock reads.
const sleptYield = 20 * int64(time.Microsecond)

// nanotime is monotonic time in nanoseconds.
func nanotime() int64 { return int64(time.Since(epoch)) }

var epoch = time.Now()

// armTimeout sets h's socket timeout from its deadline. A deadline already
// passed is reported as such.
func (k *kernelHalf) armTimeout(fd *iofd.FD, h *iofd.Half) error {
	dl := h.Deadline()
	if dl == 0 && k.timeoutSet {
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
	if h.Dir() == iofd.Write {
		opt = unix.SO_SNDTIMEO
	}
	// Round up to the option's microseconds; 0 would mean "never".
	tv := unix.NsecToTimeval(int64(left + time.Microsecond - 1))
	if err := unix.SetsockoptTimeval(fd.Sysfd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	k.timeoutSet = dl == 0
	return nil
}

// timedOut is the answer to EAGAIN from a sleeping call: its timeout ran
// out. The loop tries again, and its check reports a passed deadline; a
// deadline moved later, or noTimeout running out, re-arms. An EAGAIN with
// no timeout of ours behind it means someone set O_NONBLOCK on the shared
// open file description.
func (k *kernelHalf) timedOut(fd *iofd.FD, h *iofd.Half) error {
	if h.Deadline() == 0 {
		fl, err := unix.FcntlInt(uintptr(fd.Sysfd), unix.F_GETFL, 0)
		if err == nil && fl&unix.O_NONBLOCK != 0 {
			return fmt.Errorf("%s: fd %d returned EAGAIN in blocking mode (was O_NONBLOCK set on it from elsewhere?): %w", fd.Model, fd.Sysfd, unix.EAGAIN)
		}
	}
	k.timeoutSet = false
	return nil
}

// pollKernel sleeps in poll(2) until the socket is ready in h's direction
// or h's deadline, where a moved deadline's signal reaches it.
func (k *kernelHalf) pollKernel(fd *iofd.FD, h *iofd.Half) error {
	var timeout int
	for {
		gen := k.gen.Load()
		timeout = -1
		if dl := h.Deadline(); dl != 0 {
			left := dl - time.Now().UnixNano()
			if left <= 0 {
				return nil // check reports it
			}
			timeout = int((left + 999_999) / 1_000_000)
		}
		k.armed.Store(gen)
		if k.mark(gen) {
			break
		}
	}
	pfd := []unix.PollFd{{Fd: int32(fd.Sysfd), Events: h.Events()}}
	_, err := unix.Poll(pfd, timeout)
	k.kernel.Store(0)
	h.Count(0, 1, 0, 0)
	if err != nil && err != unix.EINTR {
		return os.NewSyscallError("poll", err)
	}
	return nil
}

// interrupt signals the thread k's call sleeps on until the call has
// re-armed its timeout from the latest deadline, or left the kernel. A
// signal that lands just before the call enters the kernel is lost, hence
// the repeats. After each signal it waits for the call to notice by
// yielding its P (runtime.Gosched), not by sleeping: net/http moves the
// read deadline of a pending Read on every request (to abort its
// background read), and a timer's sleep, a millisecond or more on a busy
// machine, would be on every request's path. The wait grows from 50 µs to
// 1 ms, for at most about 50 ms in all.
func (k *kernelHalf) interrupt() {
	gen := k.gen.Load()
	done := func() bool { return k.kernel.Load() == 0 || k.armed.Load() == gen }
	wait := 50 * time.Microsecond
	for total := time.Duration(0); total < 50*time.Millisecond; total += wait {
		tid := k.kernel.Load()
		if tid == 0 || k.armed.Load() == gen {
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
