package blocking

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// The Conn's calls sleep in the kernel, and a deadline is a socket timeout
// (SO_RCVTIMEO, SO_SNDTIMEO, socket(7)) armed from the time left before
// each system call. A deadline set while the call sleeps reaches it by the
// blocking model's interruption (kernelSleep): SetDeadline, through Evict,
// sends the thread the call sleeps on SIGURG, and the call, failed with
// EINTR, re-arms its timeout from the new deadline.
//
// What it costs: a gettid(2) per call, and a setsockopt(2) per call that has
// a deadline. Where it cannot apply: a pipe, FIFO, tty or file has no
// timeout option, and read(2) there is restarted after the signal, so the
// blocking model refuses deadlines on them (iofd's deadlineSupported).

// sleeper is the blocking model's iofd.Driver: each call sleeps in the
// kernel, on a thread a signal reaches. It keeps one kernelHalf per
// direction.
type sleeper struct {
	half [2]kernelHalf
}

// kernelHalf is what a direction's call that sleeps in the kernel needs:
// the interruption, and whether its socket timeout is noTimeout (under the
// Half's lock).
type kernelHalf struct {
	kernelSleep
	timeoutNone bool
}

var _ iofd.Driver = (*sleeper)(nil)

// Try makes c's system call sleep in the kernel. A socket's plain and
// message calls go through sleepCall (armed, recorded and made in one
// nosplit step); accept4, sendfile and splice through x/sys's wrappers
// (enterKernel); connect(2) and RawConn's function do not sleep (Wait
// does, in ppoll(2)); on what is not a socket the call sleeps and no
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
	entered, err := k.enterKernel(fd, h)
	if err != nil {
		return 0, err
	}
	n, err := c.Sys(fd, h)
	k.leaveKernel(entered)
	return n, err
}

// Wait is called after an attempt's EAGAIN: from a sleeping call, its
// socket timeout ran out (timedOut); from connect(2) or RawConn's
// function, it sleeps in ppoll(2) until the socket is ready.
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
// then sees the FD is closed); on a moved deadline by interrupting h's
// call (kernelSleep.interrupt).
func (s *sleeper) Evict(fd *iofd.FD, h *iofd.Half) {
	if h == nil {
		fd.ShutdownBusy()
		return
	}
	s.half[h.Dir()].interrupt()
}

// Destroy has nothing to undo.
func (s *sleeper) Destroy(*iofd.FD) {}

// sleepCall makes the blocking system call trap, one that may sleep in the
// kernel, where a moved deadline's signal must reach it: it arms the
// socket timeout from the deadline (arm), then records the thread and
// makes the call with nothing in between that could move the goroutine to
// another thread (kernelSleep.syscall6). A SetDeadline that ran after the
// call began and before the thread was recorded may have found no thread
// to signal; the call then answers EINTR at once, and the caller's loop
// checks the deadline and comes back. a2 is the call's one pointer.
func (k *kernelHalf) sleepCall(fd *iofd.FD, h *iofd.Half, trap, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5, a6 uintptr) (uintptr, error) {
	gen, err := k.arm(fd, h)
	if err != nil {
		return 0, err
	}
	r, e := k.syscall6(gen, trap, a1, a2, a3, a4, a5, a6)
	h.Count(0, 1, 0, 0)
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// arm begins the call (kernelSleep.begin) and arms h's socket timeout from
// its deadline, read after the generation: a SetDeadline that the
// generation does not count yet is seen by the nosplit call. It returns
// the generation.
func (k *kernelHalf) arm(fd *iofd.FD, h *iofd.Half) (uint32, error) {
	gen := k.begin()
	if err := k.armTimeout(fd, h); err != nil {
		return 0, err
	}
	return gen, nil
}

// enterKernel is arm and the recording of the thread for the calls made
// through x/sys's wrappers (accept4, sendfile, splice), which are not
// nosplit (see kernelSleep.record). It returns the nanotime for
// leaveKernel.
func (k *kernelHalf) enterKernel(fd *iofd.FD, h *iofd.Half) (int64, error) {
	for {
		gen, err := k.arm(fd, h)
		if err != nil {
			return 0, err
		}
		entered := nanotime()
		if k.record(gen) {
			return entered, nil
		}
	}
}

// armTimeout sets h's socket timeout from its deadline. A deadline already
// passed is reported as such.
func (k *kernelHalf) armTimeout(fd *iofd.FD, h *iofd.Half) error {
	var left time.Duration
	if dl := h.Deadline(); dl != 0 {
		left = time.Duration(dl - time.Now().UnixNano())
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
	}
	opt := unix.SO_RCVTIMEO
	if h.Dir() == iofd.Write {
		opt = unix.SO_SNDTIMEO
	}
	if err := setTimeout(fd.Sysfd, opt, left, &k.timeoutNone); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
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
	k.timeoutNone = false
	return nil
}

// pollKernel sleeps in ppoll(2) until the socket is ready in h's direction,
// h's deadline or an interruption (a moved deadline).
func (k *kernelHalf) pollKernel(fd *iofd.FD, h *iofd.Half) error {
	gen := k.begin()
	var timeout *unix.Timespec
	if dl := h.Deadline(); dl != 0 {
		left := dl - time.Now().UnixNano()
		if left <= 0 {
			return nil // check reports it
		}
		ts := unix.NsecToTimespec(left)
		timeout = &ts
	}
	e := k.ppoll(gen, fd.Sysfd, h.Events(), timeout)
	h.Count(0, 1, 0, 0)
	if e != 0 && e != unix.EINTR {
		return os.NewSyscallError("ppoll", e)
	}
	return nil
}
