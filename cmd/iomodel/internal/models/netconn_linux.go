package models

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// newNetConn hands fd to the runtime's netpoller (net.FileConn), as only the
// baseline may. It takes fd on success; on error the caller still owns it, as
// the models' New promise, so the os.File wraps a duplicate.
func newNetConn(fd int) (Conn, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(dup), "socket")
	defer f.Close()
	c, err := net.FileConn(f) // dups again
	if err != nil {
		return nil, err
	}
	unix.Close(fd)
	return netConn{c}, nil
}
