package blocking

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A kernelWait is the Engine's way into the kernel for one connection's
// goroutine: recv(2), send(2) and poll(2) that sleep there until the
// kernel has data, room or a connection, and that another goroutine can
// interrupt (interrupt) when the connection's state changed under the
// sleep: Close, a moved deadline, output queued, Shutdown.
//
// The interruption is the blocking model's own (see the package doc): the
// call records the thread it sleeps on and interrupt sends that thread
// SIGURG, which the Go runtime handles on every thread. A socket call with
// a timeout set (SO_RCVTIMEO, SO_SNDTIMEO) is never restarted after a
// signal handler (signal(7)), nor is poll(2) ever, so the call returns
// EINTR and its goroutine looks at the connection again. That is why a
// kernelWait's socket always has a timeout armed: the deadline's, or
// kernelWaitMax.
//
// The protocol, as the Conn shape's: gen counts interruptions; the
// goroutine reads gen before it looks at the connection (begin) and the
// nosplit call checks it again once its thread is recorded, answering
// EINTR at once if an interruption came in between; interrupt signals
// until the thread is gone from the kernel or has begun a look at the
// connection after the interruption.
type kernelWait struct {
	tid  atomic.Int32  // the thread sleeping in the kernel; 0: none
	gen  atomic.Uint32 // interruptions so far
	seen atomic.Uint32 // the gen the goroutine's current look began at

	rcvtimeo, sndtimeo time.Duration // the timeouts armed; the goroutine's
}

// kernelWaitMax is what a socket's timeout is armed to when there is no
// deadline: long, but below the kernel's "none" (MAX_SCHEDULE_TIMEOUT,
// 24.8 days on 32-bit at HZ=1000), which would let SA_RESTART restart the
// call after SIGURG instead of returning EINTR.
const kernelWaitMax = 24 * time.Hour

// begin starts the goroutine's look at its connection and returns the
// generation that its next sleep must still be current at.
func (s *kernelWait) begin() uint32 {
	g := s.gen.Load()
	s.seen.Store(g)
	return g
}

// arm sets the socket's timeout opt (SO_RCVTIMEO or SO_SNDTIMEO) to left,
// or to kernelWaitMax for left 0, unless it is set so already. *cur is what
// was armed last.
func arm(fd, opt int, cur *time.Duration, left time.Duration) error {
	if left <= 0 {
		left = kernelWaitMax
	}
	if left == *cur && left == kernelWaitMax {
		return nil
	}
	// Round up to the option's microseconds; 0 would mean "never".
	tv := unix.NsecToTimeval(int64(left + time.Microsecond - 1))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return err
	}
	*cur = left
	return nil
}

// sleep makes the system call trap (recvfrom, sendto or poll), which may
// sleep in the kernel, if gen is still current, and returns its result;
// EINTR when interrupted. p is the call's one pointer argument.
//
// A call that slept gives up its P when it comes back (runtime.Gosched):
// a goroutine back from a long system call that finds its P still there
// (the runtime's monitor had not taken it) runs on at once, so the
// connections whose clients answer fastest kept both Ps of a 2-CPU server
// and the rest waited in the global run queue (blocking/README.md).
func (s *kernelWait) sleep(gen uint32, trap, a1 uintptr, p unsafe.Pointer, a3, a4, a5, a6 uintptr) (int, unix.Errno) {
	// How long a call must have slept for its goroutine to give up its P
	// when it comes back.
	const sleptYield = 20 * time.Microsecond
	start := time.Now()
	r, e := kernelWaitSyscall6(s, gen, trap, a1, p, a3, a4, a5, a6)
	s.tid.Store(0)
	if time.Since(start) > sleptYield {
		runtime.Gosched()
	}
	return int(r), e
}

// kernelWaitSyscall6 records its thread in s, then makes the system call:
// syscall.Syscall6, which tells the scheduler the thread may block. It is
// nosplit (no stack check, no asynchronous preemption point), so the
// goroutine cannot move to another thread between the recording and the
// call, where interrupt's signal would miss it. If gen is no longer
// current once the thread is recorded, it answers EINTR instead.
//
//go:nosplit
func kernelWaitSyscall6(s *kernelWait, gen uint32, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	tid, _ := unix.RawSyscallNoError(unix.SYS_GETTID, 0, 0, 0)
	s.tid.Store(int32(tid))
	if s.gen.Load() != gen {
		return 0, unix.EINTR
	}
	r, _, e := unix.Syscall6(trap, a1, uintptr(a2), a3, a4, a5, a6)
	return r, e
}

// interrupt makes the goroutine look at its connection again: at once if
// it is not in the kernel, by SIGURG if it sleeps there. A signal that
// lands just before the call enters the kernel is lost, hence the repeats,
// until the goroutine has left the kernel or begun a new look; between
// them it yields its P, growing the wait from 50 µs to 1 ms, for at most
// about 50 ms in all. Safe from any goroutine.
func (s *kernelWait) interrupt() {
	gen := s.gen.Add(1)
	wait := 50 * time.Microsecond
	for total := time.Duration(0); total < 50*time.Millisecond; total += wait {
		tid := s.tid.Load()
		if tid == 0 || s.seen.Load() == gen {
			return
		}
		unix.Tgkill(unix.Getpid(), int(tid), unix.SIGURG)
		for until := time.Now().Add(wait); time.Now().Before(until); {
			if s.tid.Load() == 0 || s.seen.Load() == gen {
				return
			}
			runtime.Gosched()
		}
		wait = min(2*wait, time.Millisecond)
	}
}

// recv is one recvfrom(2) into p that may sleep.
func (s *kernelWait) recv(gen uint32, fd int, p []byte) (int, unix.Errno) {
	return s.sleep(gen, unix.SYS_RECVFROM, uintptr(fd), unsafe.Pointer(unsafe.SliceData(p)), uintptr(len(p)), 0, 0, 0)
}

// send is one sendto(2) of p that may sleep; MSG_NOSIGNAL, so a closed
// peer is EPIPE and not a signal that kills the process.
func (s *kernelWait) send(gen uint32, fd int, p []byte) (int, unix.Errno) {
	return s.sleep(gen, unix.SYS_SENDTO, uintptr(fd), unsafe.Pointer(unsafe.SliceData(p)), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
}

// pollIn sleeps in ppoll(2) until fd is readable (a listening socket has
// a connection), with no time limit.
func (s *kernelWait) pollIn(gen uint32, fd int) unix.Errno {
	pfd := unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	e := kernelWaitPpoll(s, gen, &pfd)
	s.tid.Store(0)
	return e
}

// kernelWaitPpoll is kernelWaitSyscall6 for ppoll(2), whose pointer is its first
// argument.
//
//go:nosplit
func kernelWaitPpoll(s *kernelWait, gen uint32, pfd *unix.PollFd) unix.Errno {
	tid, _ := unix.RawSyscallNoError(unix.SYS_GETTID, 0, 0, 0)
	s.tid.Store(int32(tid))
	if s.gen.Load() != gen {
		return unix.EINTR
	}
	_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(pfd)), 1, 0, 0, 0, 0)
	return e
}
