package iofd

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// UDP segmentation offload (udp(7)): with GSO one send of up to 64 KiB
// leaves as datagrams of a segment size each, cut by the kernel or the
// NIC; with GRO the kernel hands the receiver several datagrams of one
// flow as one buffer, with the segment size in a UDP_GRO control message.
// Both are detected at run time: a kernel without them (before 4.18 and
// 5.0) refuses the socket option, and the error wraps
// errors.ErrUnsupported.

// SetGSO sets the socket's UDP segment size (UDP_SEGMENT) for every send:
// a send larger than segment leaves as datagrams of segment bytes, the
// last one shorter; 0 turns it off. A segment size for one send goes in
// its control data instead (iomodel.AppendGSO, WriteMsgUDP).
func (fd *FD) SetGSO(segment int) error {
	return fd.setUDPOpt("SetGSO", "UDP_SEGMENT", unix.UDP_SEGMENT, segment)
}

// SetGRO turns UDP receive offload (UDP_GRO) on or off: with it on, one
// ReadMsgUDP or ReadBatch message may hold several datagrams of segment
// bytes each (the last one shorter), the size given by iomodel.GROSegment on its
// control data, which must have room for it (iomodel.GROSpace).
func (fd *FD) SetGRO(on bool) error {
	return fd.setUDPOpt("SetGRO", "UDP_GRO", unix.UDP_GRO, boolint(on))
}

func (fd *FD) setUDPOpt(method, option string, opt, v int) error {
	if err := fd.Incref(); err != nil {
		return fd.optError(err)
	}
	defer fd.Decref()
	if fd.Kind != Datagram || fd.Family == unix.AF_UNIX {
		return fd.optError(fmt.Errorf("%s: %s is an option of UDP sockets, not of a %s %s: %w", method, option, fd.network, fd.Kind, errors.ErrUnsupported))
	}
	if err := unix.SetsockoptInt(fd.Sysfd, unix.IPPROTO_UDP, opt, v); err != nil {
		if err == unix.ENOPROTOOPT || err == unix.EINVAL && v != 0 || err == unix.EOPNOTSUPP {
			return fd.optError(fmt.Errorf("%s: this kernel has no %s (%w): %w", method, option, os.NewSyscallError("setsockopt", err), errors.ErrUnsupported))
		}
		return fd.optError(os.NewSyscallError("setsockopt", err))
	}
	return nil
}
