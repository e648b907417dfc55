package multiplex

import (
	"os"

	"golang.org/x/sys/unix"
)

// setNonblock makes the listening socket Listen made O_NONBLOCK: accept(2)
// has no per-call MSG_DONTWAIT, and iofd leaves the socket as Listen made
// it, blocking. It is no one else's, so nobody else sees the flag.
func setNonblock(sysfd int) error {
	if err := unix.SetNonblock(sysfd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	return nil
}
