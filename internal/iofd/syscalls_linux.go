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

// bufPtr is p's first byte, or nil for an empty p (an empty datagram).
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	return unsafe.Pointer(&p[0])
}
