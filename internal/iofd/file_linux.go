package iofd

import (
	"os"

	"golang.org/x/sys/unix"
)

// File returns a copy of the descriptor (dup(2), close-on-exec) as an
// *os.File, as net's File methods do: closing either leaves the other
// open, and the two share the open file description, so a change of its
// flags through one is seen by the other.
func (fd *FD) File() (*os.File, error) {
	if err := fd.Incref(); err != nil {
		return nil, fd.OpError("file", err)
	}
	defer fd.Decref()
	nfd, err := unix.FcntlInt(uintptr(fd.Sysfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fd.OpError("file", os.NewSyscallError("fcntl", err))
	}
	name := fd.network
	fd.addrMu.Lock()
	if fd.laddr != nil {
		name += ":" + fd.laddr.String()
	}
	if fd.raddr != nil {
		name += "->" + fd.raddr.String()
	}
	fd.addrMu.Unlock()
	return os.NewFile(uintptr(nfd), name), nil
}
