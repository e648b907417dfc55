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

// sockaddr is room for an address the kernel fills in: accept4(2)'s,
// getpeername(2)'s, getsockname(2)'s. Kept in the Listener and used by its
// owner only, it spares each accepted connection the garbage of
// unix.Accept4 and unix.Getpeername (a RawSockaddrAny and a Sockaddr,
// about 150 bytes), which a server accepting many connections at once
// would carry in its resident memory until the next GC.
type sockaddr struct {
	raw unix.RawSockaddrAny
	n   uint32
}

// accept4 takes a connection off listening socket fd (SOCK_CLOEXEC) and
// its peer's address into s; it returns the bare errno.
func (s *sockaddr) accept4(fd int) (int, error) {
	s.n = unix.SizeofSockaddrAny
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&s.raw)), uintptr(unsafe.Pointer(&s.n)), unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// name reads fd's address (getsockname(2), or getpeername(2) with peer)
// into s; it returns the bare errno.
func (s *sockaddr) name(fd int, peer bool) error {
	trap := uintptr(unix.SYS_GETSOCKNAME)
	if peer {
		trap = unix.SYS_GETPEERNAME
	}
	s.n = unix.SizeofSockaddrAny
	_, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&s.raw)), uintptr(unsafe.Pointer(&s.n)))
	if e != 0 {
		return e
	}
	return nil
}
