package multiplex

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// openSelector is NewSelector, NewEpoll, NewPoll and NewSelect; fn names
// which, for the error off Linux.
func openSelector(b Backend, fn string) (Selector, error) {
	switch b {
	case Epoll:
		return newEpoll()
	case Poll:
		return newPoll()
	case Select:
		return newSelect()
	}
	return nil, fmt.Errorf("multiplex: %s: unknown backend %v", fn, b)
}

// errClosed is returned by every call on a closed selector.
func errClosed(b Backend, op string) error {
	return fmt.Errorf("multiplex: %s: %s on closed selector: %w", b, op, net.ErrClosed)
}

// regError explains a refused registration; errno is kept for errors.Is.
func regError(b Backend, op string, fd int, err error) error {
	return fmt.Errorf("multiplex: %s: %s fd %d: %w", b, op, fd, err)
}

// notPollable describes why fd (of kind mode) cannot be multiplexed.
func notPollable(b Backend, op string, fd int, kind string, errno error) error {
	return fmt.Errorf("multiplex: %s: %s fd %d: %s is always ready for I/O, so it cannot be multiplexed (epoll_ctl(2) refuses it with EPERM); use the blocking or async model: %w: %w",
		b, op, fd, kind, ErrNotPollable, errno)
}

// checkArgs refuses bad input common to every backend.
func checkArgs(b Backend, op string, fd int, events Events, tag uint64) error {
	if fd < 0 {
		return regError(b, op, fd, os.NewSyscallError(op, unix.EBADF))
	}
	if tag == WakeTag {
		return regError(b, op, fd, fmt.Errorf("tag %#x is reserved (WakeTag): %w", tag, unix.EINVAL))
	}
	if events&^interest != 0 {
		return regError(b, op, fd, fmt.Errorf("events %v cannot be asked for: %w", events&^interest, unix.EINVAL))
	}
	if events&EdgeTriggered != 0 && b != Epoll {
		return regError(b, op, fd, fmt.Errorf("EdgeTriggered needs epoll: %w", errors.ErrUnsupported))
	}
	return nil
}

// deadlineOf turns a Wait timeout into an absolute time (zero = forever).
func deadlineOf(timeout time.Duration) time.Time {
	if timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(timeout)
}

// remaining is the timeout left until deadline: -1 for forever (deadline
// zero and timeout negative), 0 once it has passed.
func remaining(timeout time.Duration, deadline time.Time) time.Duration {
	if timeout <= 0 {
		return timeout
	}
	d := time.Until(deadline)
	if d < 0 {
		return 0
	}
	return d
}

// millis rounds a timeout up to whole milliseconds for epoll_wait and poll,
// so a Wait never returns before its timeout: -1 waits forever.
func millis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(ms)
}

// fileKind names the kind of fd for error messages.
func fileKind(fd int) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "the fd"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFBLK:
		return "a block device"
	}
	return "the fd"
}

// checkPollable refuses, for poll and select, what epoll_ctl would refuse:
// regular files and directories, which poll(2) always reports ready. It
// also refuses a closed fd (EBADF), as epoll_ctl does.
func checkPollable(b Backend, op string, fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return regError(b, op, fd, os.NewSyscallError("fstat", err))
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR:
		return notPollable(b, op, fd, fileKind(fd), unix.EPERM)
	}
	return nil
}
