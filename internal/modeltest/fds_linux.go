package modeltest

import (
	"testing"

	"golang.org/x/sys/unix"
)

// FillDescriptors opens /dev/null again and again: until open(2) fails
// (the table is full up to RLIMIT_NOFILE) when upTo is 0, or until a
// descriptor numbered upTo or more is open, failing t if open fails
// first. It returns the descriptors it opened; the test's cleanup closes
// them.
func FillDescriptors(t testing.TB, upTo int) []int {
	t.Helper()
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			if upTo > 0 {
				t.Fatalf("open /dev/null after %d descriptors, before one numbered %d: %v", len(fds), upTo, err)
			}
			return fds
		}
		fds = append(fds, fd)
		if upTo > 0 && fd >= upTo {
			return fds
		}
	}
}
