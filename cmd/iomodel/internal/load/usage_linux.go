package load

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// CPUTime is the CPU time (user + system) this process has used, on every
// thread (getrusage(2), RUSAGE_SELF; a child such as wrk is not counted).
func CPUTime() time.Duration {
	var r unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// RaiseNoFile raises RLIMIT_NOFILE's soft limit to its hard limit and
// returns the new soft limit; the children (wrk) inherit it.
func RaiseNoFile() (uint64, error) {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	if l.Cur < l.Max {
		want := l
		want.Cur = l.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
			return l.Cur, fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d): %w", l.Max, err)
		}
		l = want
	}
	return l.Cur, nil
}
