package iomodel

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// AppendGSO appends to oob the control message (UDP_SEGMENT) that sends
// one WriteMsgUDP's payload, or one Message's Buffers, as datagrams of
// segment bytes each, the last one shorter. segment must be at least 1 and
// the payload at most 64 datagrams and 64 KiB; the kernel refuses the send
// otherwise (EINVAL).
func AppendGSO(oob []byte, segment int) []byte {
	n := len(oob)
	oob = append(oob, make([]byte, unix.CmsgSpace(2))...)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[n]))
	h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&oob[n+unix.CmsgLen(0)])) = uint16(segment)
	return oob
}

// GROSegment reads the segment size of a coalesced receive from its
// control data (the UDP_GRO message; give the receive room for it,
// GROSpace bytes): the buffer holds datagrams of segment bytes each, the
// last one shorter. ok is false if there is no such message: the buffer
// holds one datagram.
func GROSegment(oob []byte) (segment int, ok bool) {
	hdr := cmsgAlign(unix.SizeofCmsghdr)
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := min(int(h.Len), len(oob))
		if l < unix.SizeofCmsghdr {
			break
		}
		if h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_GRO && l >= hdr+4 {
			return int(*(*int32)(unsafe.Pointer(&oob[hdr]))), true
		}
		next := cmsgAlign(l)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return 0, false
}

// cmsgAlign rounds n up to the alignment of control messages: a long's.
func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}
