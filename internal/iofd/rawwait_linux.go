package iofd

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func (fd *FD) rawLoop(h *Half, f func(fd uintptr) bool) error {
	if err := fd.Lock(h); err != nil {
		return err
	}
	defer fd.Unlock(h)
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return err
		}
		if f(uintptr(fd.Sysfd)) {
			return nil
		}
		if err := fd.waitReady(h, attempt); err != nil {
			return err
		}
	}
}

// waitReady waits until h's direction is ready, the deadline passes or the
// FD is closed, the model's way: its Waiter for the readiness models, an
// OpPoll for a Completer that has one, and poll(2) in the kernel for the
// blocking model (where SetDeadline and Close reach it as they reach its
// other calls).
func (fd *FD) waitReady(h *Half, attempt int) error {
	events := int16(unix.POLLIN)
	if h.dir == Write {
		events = unix.POLLOUT
	}
	switch {
	case fd.completer != nil:
		_, err := fd.completer.Complete(fd, h, &Op{Kind: OpPoll, Flags: int(events)})
		switch err {
		case nil, unix.ECANCELED, unix.EINTR:
			return nil
		case unix.ENOSYS:
		default:
			return err
		}
	case fd.Mode != Blocking && fd.waiter != nil:
		return fd.waiter.Wait(fd, h, attempt)
	}
	return fd.pollKernel(h, events)
}

// pollKernel sleeps in poll(2) until fd is ready for events or h's deadline,
// where a moved deadline's signal reaches it.
func (fd *FD) pollKernel(h *Half, events int16) error {
	var timeout int
	for {
		var gen uint32
		if h.k != nil {
			gen = h.k.gen.Load()
		}
		timeout = -1
		if dl := h.deadline.Load(); dl != 0 {
			left := dl - time.Now().UnixNano()
			if left <= 0 {
				return nil // check reports it
			}
			timeout = int((left + 999_999) / 1_000_000)
		}
		if h.k == nil {
			// Nothing signals this thread when the deadline moves or
			// the FD closes (only the blocking model has
			// interruptKernel): look again every 10 ms.
			if timeout < 0 || timeout > 10 {
				timeout = 10
			}
			break
		}
		h.k.armed.Store(gen)
		if markKernel(h, gen) {
			break
		}
	}
	pfd := []unix.PollFd{{Fd: int32(fd.Sysfd), Events: events}}
	_, err := unix.Poll(pfd, timeout)
	if h.k != nil {
		unmarkKernel(h)
	}
	h.syscalls.Add(1)
	if err != nil && err != unix.EINTR {
		return os.NewSyscallError("poll", err)
	}
	return nil
}
