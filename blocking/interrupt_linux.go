package blocking

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A kernelSleep is how another goroutine reaches a call sleeping in the
// kernel, for the Conn (one per direction) and the Engine (one per
// connection, one per listener): a Close, a moved deadline, output queued
// or Shutdown interrupts the sleep, and the call looks again at what
// changed.
//
// The interruption: the call records the thread it sleeps on, and
// interrupt sends that thread SIGURG, which the Go runtime already handles
// on every thread (as its preemption signal, harmlessly). signal(7) says a
// socket call with a timeout set (SO_RCVTIMEO, SO_SNDTIMEO) is never
// restarted after a signal handler runs, whatever SA_RESTART says, nor is
// poll(2) ever, so the call fails with EINTR. That is why every sleeping
// socket call has a timeout armed (setTimeout): the deadline's, or
// noTimeout.
//
// The protocol: gen counts interruptions. A call reads it before it looks
// at its state (begin), and the nosplit system call (sleepSyscall6,
// sleepPpoll) checks it again once the thread is recorded, answering EINTR
// at once if an interruption came in between; so none is lost between the
// look and the sleep. interrupt signals until the thread has left the
// kernel or has begun a look after the interruption.
//
// What it costs: a gettid(2) per call, and a signal per interruption of a
// call that sleeps.
type kernelSleep struct {
	tid  atomic.Int32  // the thread sleeping in the kernel; 0: none
	gen  atomic.Uint32 // interruptions so far
	seen atomic.Uint32 // the gen the call's current look began at
}

// begin starts a look at the call's state and returns the generation that
// its next sleep must still be current at.
func (s *kernelSleep) begin() uint32 {
	g := s.gen.Load()
	s.seen.Store(g)
	return g
}

// syscall6 makes the system call trap, which may sleep in the kernel, if
// gen is still current (else EINTR), and ends with leaveKernel. a2 is the
// call's one pointer (recvfrom's buffer, recvmsg's msghdr, ...), kept an
// unsafe.Pointer until the system call itself, so that what it points to
// stays alive and put (unsafe.Pointer's rule 4).
func (s *kernelSleep) syscall6(gen uint32, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	entered := nanotime()
	r, e := sleepSyscall6(s, gen, trap, a1, a2, a3, a4, a5, a6)
	s.leaveKernel(entered)
	return r, e
}

// sleepSyscall6 records the thread it runs on as the one a call sleeps
// on, then makes the system call: syscall.Syscall6, which tells the
// scheduler the thread is in the kernel. If gen is no longer current once
// the thread is recorded, an interruption may have missed it: it answers
// EINTR instead.
//
// Why it is nosplit: a goroutine moved to another thread between gettid(2)
// and the system call would sleep where no signal is sent, until its
// timeout (24 hours with no deadline). A goroutine moves only when it is
// descheduled, and a nosplit function has no preemption point, neither the
// stack check of a prologue nor an asynchronous safe point; record, gettid
// and Syscall6 are nosplit themselves, and the atomics are intrinsics.
// Recorded any earlier, even before the setsockopt(2) that arms the
// timeout, the thread was wrong whenever the goroutine came back from that
// call on another thread (a stop-the-world, or sysmon taking the P): a
// deadline moved under a pending Read was lost in 6 of 40 tries, and with
// the recording after setsockopt but outside this function, in 1 of about
// 4000 rounds of TestDeadlineReachesSleepingCall. Locking the goroutine to
// its thread instead doubled the round trip (README.md).
//
//go:nosplit
func sleepSyscall6(s *kernelSleep, gen uint32, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	if !s.record(gen) {
		return 0, unix.EINTR
	}
	r, _, e := unix.Syscall6(trap, a1, uintptr(a2), a3, a4, a5, a6)
	return r, e
}

// ppoll sleeps in ppoll(2) until fd has one of events, until timeout if
// it is not nil, or an interruption. Unlike syscall6 it does not yield
// after a sleep: it is the wait of a connect or a listener, and the call
// that follows is the one to sleep.
func (s *kernelSleep) ppoll(gen uint32, fd int, events int16, timeout *unix.Timespec) unix.Errno {
	pfd := unix.PollFd{Fd: int32(fd), Events: events}
	e := sleepPpoll(s, gen, &pfd, timeout)
	s.tid.Store(0)
	return e
}

// sleepPpoll is sleepSyscall6 for ppoll(2), whose pointers are its first
// and third arguments.
//
//go:nosplit
func sleepPpoll(s *kernelSleep, gen uint32, pfd *unix.PollFd, timeout *unix.Timespec) unix.Errno {
	if !s.record(gen) {
		return unix.EINTR
	}
	_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(pfd)), 1, uintptr(unsafe.Pointer(timeout)), 0, 0, 0)
	return e
}

// record records the thread it runs on as the one a call is about to
// sleep on, and reports whether gen is still current. If not, an
// interruption may have found no thread to signal, and nothing is
// recorded. It is nosplit for sleepSyscall6 and sleepPpoll; the calls made
// through x/sys's wrappers (accept4, sendfile, splice), which are not,
// call it just before theirs: between the two there are a few
// instructions where a preemption could still move the goroutine, and
// interrupt then signals the wrong thread. Such a call ends with
// leaveKernel too.
//
//go:nosplit
func (s *kernelSleep) record(gen uint32) bool {
	tid, _ := unix.RawSyscallNoError(unix.SYS_GETTID, 0, 0, 0)
	s.tid.Store(int32(tid))
	if s.gen.Load() != gen {
		s.tid.Store(0)
		return false
	}
	return true
}

// leaveKernel ends a call that may have slept, entered at the nanotime
// entered. A call that slept gives up its P (runtime.Gosched): see
// sleptYield.
func (s *kernelSleep) leaveKernel(entered int64) {
	s.tid.Store(0)
	if nanotime()-entered > sleptYield {
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

// interrupt makes the call look at its state again: at once if it is not
// in the kernel, by SIGURG if it sleeps there. A signal that lands just
// before the call enters the kernel is lost, hence the repeats, until the
// call has left the kernel or begun a new look. After each signal it waits
// for the call to notice by yielding its P (runtime.Gosched), not by
// sleeping: net/http moves the read deadline of a pending Read on every
// request (to abort its background read), and a timer's sleep, a
// millisecond or more on a busy machine, would be on every request's path.
// The wait grows from 50 µs to 1 ms, for at most about 50 ms in all; a
// call still not reached then (its thread kept off the CPU that long, or,
// under qemu-user, a system call restarted because the signal came just
// before it) is signalled on by keepInterrupting. Safe from any goroutine.
func (s *kernelSleep) interrupt() {
	gen := s.gen.Add(1)
	wait := 50 * time.Microsecond
	for total := time.Duration(0); total < 50*time.Millisecond; total += wait {
		tid := s.tid.Load()
		if s.reached(gen) {
			return
		}
		unix.Tgkill(pid, int(tid), unix.SIGURG)
		for until := time.Now().Add(wait); time.Now().Before(until); {
			if s.reached(gen) {
				return
			}
			runtime.Gosched()
		}
		wait = min(2*wait, time.Millisecond)
	}
	go s.keepInterrupting(gen)
}

// reached reports whether interruption gen has reached the call: it is
// out of the kernel, or has begun a look since, or a later interruption
// has taken over.
func (s *kernelSleep) reached(gen uint32) bool {
	return s.tid.Load() == 0 || s.seen.Load() == gen || s.gen.Load() != gen
}

// keepInterrupting signals the call every 10 ms, from a goroutine of its
// own so that interrupt's caller (a SetDeadline, a Close) waits no longer
// than before, until interruption gen has reached it, for at most 10 s:
// a deadline moved under a sleeping Recv was otherwise lost about once in
// 30,000 rounds on a loaded machine, and once in a CI run under qemu-user
// (TestDeadlineReachesSleepingCall). The cap keeps a call the kernel
// restarts whatever the signal (sendfile, splice) from being signalled for
// ever.
func (s *kernelSleep) keepInterrupting(gen uint32) {
	for range 1000 {
		time.Sleep(10 * time.Millisecond)
		tid := s.tid.Load()
		if s.reached(gen) {
			return
		}
		unix.Tgkill(pid, int(tid), unix.SIGURG)
	}
}

var pid = unix.Getpid()

// noTimeout is the socket timeout armed when there is no deadline: long,
// but below the kernel's "none" (MAX_SCHEDULE_TIMEOUT jiffies, 24.8 days
// on 32-bit at HZ=1000), which would let SA_RESTART restart the call after
// SIGURG instead of failing it with EINTR.
const noTimeout = 24 * time.Hour

// setTimeout sets fd's socket timeout opt (SO_RCVTIMEO or SO_SNDTIMEO) to
// left, or to noTimeout for left 0 unless *none says it is set so already;
// *none is then whether it is noTimeout.
func setTimeout(fd, opt int, left time.Duration, none *bool) error {
	if left == 0 {
		if *none {
			return nil
		}
		left = noTimeout
	}
	// Round up to the option's microseconds; 0 would mean "never".
	tv := unix.NsecToTimeval(int64(left + time.Microsecond - 1))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return err
	}
	*none = left == noTimeout
	return nil
}
