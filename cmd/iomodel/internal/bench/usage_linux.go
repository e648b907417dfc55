package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

func getUsage() usage {
	var r unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
		return usage{}
	}
	return usage{
		cpu: time.Duration(r.Utime.Nano() + r.Stime.Nano()),
		csw: int64(r.Nvcsw),
	}
}
