package iofd

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxIO caps one read or write at 1 GiB, as internal/poll does: larger
// counts are slower on some kernels and file systems, and a Send loops over
// the rest anyway.
const maxIO = 1 << 30

// The raw calls. Each retries EINTR (signal(7): a signal that arrives while
// a call sleeps interrupts it unless SA_RESTART, and a Go program has
// signals from its own runtime) and returns the bare errno, so that EAGAIN
// can be compared without allocating. They never allocate.

func recvfrom(fd int, p []byte, flags int) (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(flags), 0, 0)
		if e == 0 {
			return int(n), nil
		}
		if e != unix.EINTR {
			return 0, e
		}
	}
}

func sendto(fd int, p []byte, flags int) (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(flags), 0, 0)
		if e == 0 {
			return int(n), nil
		}
		if e != unix.EINTR {
			return 0, e
		}
	}
}

func read(fd int, p []byte) (int, error) {
	for {
		n, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e == 0 {
			return int(n), nil
		}
		if e != unix.EINTR {
			return 0, e
		}
	}
}

func write(fd int, p []byte) (int, error) {
	for {
		n, _, e := unix.Syscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e == 0 {
			return int(n), nil
		}
		if e != unix.EINTR {
			return 0, e
		}
	}
}
