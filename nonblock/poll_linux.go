package nonblock

import "golang.org/x/sys/unix"

// pollFd is struct pollfd, poll(2)'s question about one descriptor.
type pollFd = unix.PollFd

const (
	pollIn  = unix.POLLIN
	pollOut = unix.POLLOUT
	pollErr = unix.POLLERR
)

// poll asks the kernel which of pfds are ready, with a zero timeout: it
// answers at once and never sleeps. It returns how many are.
func poll(pfds []pollFd) (int, error) { return unix.Poll(pfds, 0) }
