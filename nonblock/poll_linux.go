package nonblock

import (
	"time"

	"golang.org/x/sys/unix"
)

// pollFd is struct pollfd, poll(2)'s question about one descriptor.
type pollFd = unix.PollFd

const (
	pollIn  = unix.POLLIN
	pollOut = unix.POLLOUT
)

// poll asks the kernel which of pfds are ready, with a zero timeout: it
// answers at once and never sleeps. It returns how many are, and the CPU
// time the question took: the calling thread's, read before and after
// (CLOCK_THREAD_CPUTIME_ID), so that time the thread spent waiting for a
// CPU is not counted. A goroutine in a system call stays on its thread.
func poll(pfds []pollFd) (n int, cost time.Duration, err error) {
	t0 := threadTime()
	n, err = unix.Poll(pfds, 0)
	return n, max(threadTime()-t0, 0), err
}

func threadTime() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
