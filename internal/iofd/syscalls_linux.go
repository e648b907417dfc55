package iofd

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// errAgain and errWoken are the errnos of Call.Skip and Call.Woken.
var errAgain, errWoken error = unix.EAGAIN, unix.EINTR

// maxIO caps one read or write at 1 GiB, as internal/poll does: larger
// counts are slower on some kernels and file systems, and a Send loops over
// the rest anyway.
const maxIO = 1 << 30

// The raw calls. Each returns the bare errno, so that EAGAIN can be
// compared without allocating, and never allocates. EINTR is returned too,
// not retried here: the loops retry it after checking the deadline, so a
// call that keeps being interrupted still ends at its deadline, and the
// blocking model re-arms its socket timeout from the time left.

func recvfrom(fd int, p []byte, flags int) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sendto(fd int, p []byte, flags int) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func read(fd int, p []byte) (int, error) {
	n, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func write(fd int, p []byte) (int, error) {
	n, _, e := unix.Syscall(unix.SYS_WRITE, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// bufPtr is p's first byte, or nil for an empty p (an empty datagram).
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	return unsafe.Pointer(&p[0])
}
