package iofd

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// rawLoop is RawConn's Read and Write: the loop, with f as each attempt
// (OpPoll) and the Driver's wait for readiness between attempts.
func (fd *FD) rawLoop(h *Half, f func(fd uintptr) bool) error {
	if err := fd.Lock(h); err != nil {
		return err
	}
	defer fd.Unlock(h)
	c := h.call()
	defer c.reset()
	c.Kind, c.Flags, c.raw = OpPoll, int(h.Events()), f
	_, err := fd.do(h, c, true)
	return err
}

// Events is the poll(2) event of h's direction: POLLIN or POLLOUT.
func (h *Half) Events() int16 {
	if h.dir == Write {
		return unix.POLLOUT
	}
	return unix.POLLIN
}

// PollReady sleeps in poll(2) until the descriptor is ready in h's
// direction, for at most 10 ms or until h's deadline: a Driver's wait for
// readiness where it has no better one (nothing wakes poll(2) when the
// deadline moves or the FD closes, hence the bound). It returns nil to
// have the loop try again, or poll's error.
func (fd *FD) PollReady(h *Half) error {
	timeout := 10
	if dl := h.deadline.Load(); dl != 0 {
		left := dl - time.Now().UnixNano()
		if left <= 0 {
			return nil // check reports it
		}
		timeout = min(timeout, int((left+999_999)/1_000_000))
	}
	pfd := []unix.PollFd{{Fd: int32(fd.Sysfd), Events: h.Events()}}
	_, err := unix.Poll(pfd, timeout)
	h.syscalls.Add(1)
	if err != nil && err != unix.EINTR {
		return os.NewSyscallError("poll", err)
	}
	return nil
}
