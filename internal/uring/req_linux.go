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

// pinParts pins, for a RECVMSG, SENDMSG or WRITEV, what the kernel reads or
// writes through the request's buffer (pinned by Submit): a msghdr's name,
// control and iovec array, and each iovec's base. The caller keeps all of
// it reachable until completion; pinning keeps it where the kernel was told
// it is, as runtime.Pinner promises for memory a Go pointer handed outside
// Go points at.
func (q *Req) pinParts() {
	var iov *unix.Iovec
	var n, i int
	switch q.op {
	case IORING_OP_RECVMSG, IORING_OP_SENDMSG:
		m := (*unix.Msghdr)(q.buf)
		i = q.pinPart(i, unsafe.Pointer(m.Name))
		i = q.pinPart(i, unsafe.Pointer(m.Control))
		iov, n = m.Iov, int(m.Iovlen)
		i = q.pinPart(i, unsafe.Pointer(iov))
	case IORING_OP_WRITEV:
		iov, n = (*unix.Iovec)(q.buf), int(q.n)
	default:
		return
	}
	if iov == nil {
		return
	}
	for _, v := range unsafe.Slice(iov, n) {
		i = q.pinPart(i, unsafe.Pointer(v.Base))
	}
}
