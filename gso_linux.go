package iomodel

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/cmsg"
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
	cmsg.Each(oob, func(level, typ int32, data []byte) bool {
		if level == unix.IPPROTO_UDP && typ == unix.UDP_GRO && len(data) >= 4 {
			segment, ok = int(*(*int32)(unsafe.Pointer(&data[0]))), true
			return false
		}
		return true
	})
	return segment, ok
}
