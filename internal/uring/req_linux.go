package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel writes an accepted peer's address into a sockaddrAny and
// Sockaddr hands it out as a unix.RawSockaddrAny: they must be the same size
// and alignment (this fails to compile otherwise).
var (
	_ [unsafe.Sizeof(sockaddrAny{}) - unix.SizeofSockaddrAny]struct{}
	_ [unix.SizeofSockaddrAny - unsafe.Sizeof(sockaddrAny{})]struct{}
	_ [unsafe.Alignof(sockaddrAny{}) - unsafe.Alignof(unix.RawSockaddrAny{})]struct{}
	_ [unsafe.Alignof(unix.RawSockaddrAny{}) - unsafe.Alignof(sockaddrAny{})]struct{}
)

// Sockaddr is the peer address an ACCEPT filled in (valid after Done). It
// exists on Linux only.
func (q *Req) Sockaddr() (*unix.RawSockaddrAny, uint32) {
	return (*unix.RawSockaddrAny)(unsafe.Pointer(&q.sa)), q.saLen
}
