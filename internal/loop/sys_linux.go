package loop

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bare errnos the loops compare with, without allocating.
var (
	errEAGAIN error = unix.EAGAIN
	errEINTR  error = unix.EINTR
)

// recvfrom and sendto are the raw calls on a connected stream socket, with
// MSG_DONTWAIT (the socket stays in blocking mode, see Listener.Accept) and,
// for sendto, MSG_NOSIGNAL so a closed peer is EPIPE, not SIGPIPE. They
// return the bare errno and never allocate.
func recvfrom(fd int, p []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sendto(fd int, p []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// closeFD closes a connection's socket; close(2)'s error on a socket
// (EINTR, EIO) leaves it closed all the same, and no one is left to tell.
func closeFD(fd int) { unix.Close(fd) }
