package iofd

import (
	"fmt"
	"io"
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/cmsg"
	"github.com/iomodel/iomodel/internal/sock"
)

// ReadMsgUnix is net.UnixConn's ReadMsgUnix: data into p, control messages
// into oob (SCM_RIGHTS descriptors arrive close-on-exec: recvmsg is given
// MSG_CMSG_CLOEXEC), the message flags and the sender (nil if unnamed).
//
// If oob was too small for what came, flags has MSG_CTRUNC, as net reports
// it, and the descriptors that did fit are in oob[:oobn], the caller's to
// close, as net hands them over (the ones that did not fit the kernel has
// already closed). On a stream, an empty p with a
// non-empty oob reads the one byte that carried the control data (as
// package syscall does) and reports n == 0; 0 bytes otherwise is the end
// of the stream, io.EOF in a *net.OpError as net returns it.
func (fd *FD) ReadMsgUnix(p, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error) {
	var r recvResult
	dummy := len(p) == 0 && len(oob) > 0 && fd.Kind != Datagram
	err = fd.recvMsgDummy(p, oob, dummy, &r)
	if err == nil && r.n == 0 && r.oobn == 0 && fd.Kind != Datagram && !dummy {
		err = io.EOF
	}
	if err != nil {
		return 0, 0, 0, nil, fd.opError("read", err)
	}
	if dummy {
		r.n = 0
	}
	if a, ok := sock.AddrOf(fd.sotype(), &r.name, r.namelen).(*net.UnixAddr); ok {
		addr = a
	}
	return r.n, r.oobn, r.flags, addr, nil
}

// opError is OpError, but wraps io.EOF too, as net's ReadMsgUnix does.
func (fd *FD) opError(op string, err error) error {
	if err == io.EOF {
		fd.addrMu.Lock()
		defer fd.addrMu.Unlock()
		return &net.OpError{Op: op, Net: fd.network, Source: fd.laddr, Addr: fd.raddr, Err: err}
	}
	return fd.OpError(op, err)
}

// recvMsgDummy is recvMsg, reading into the FD's one-byte dummy when
// dummy is set.
func (fd *FD) recvMsgDummy(p, oob []byte, dummy bool, r *recvResult) error {
	if !dummy {
		return fd.recvMsg(p, oob, 0, "recvmsg", r)
	}
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return err
	}
	m := fd.msgFor(h)
	fd.Unlock(h)
	// m.dummy is used under the lock recvMsg takes again: two readers
	// may share it, and neither reads what is in it.
	return fd.recvMsg(m.dummy[:], oob, 0, "recvmsg", r)
}

// closeRights closes every descriptor of the SCM_RIGHTS messages in oob
// and overwrites its number with -1. It does not allocate.
func closeRights(oob []byte) {
	cmsg.Each(oob, func(level, typ int32, data []byte) bool {
		if level == unix.SOL_SOCKET && typ == unix.SCM_RIGHTS {
			for i := 0; i+4 <= len(data); i += 4 {
				p := (*int32)(unsafe.Pointer(&data[i]))
				if *p >= 0 {
					unix.Close(int(*p))
					*p = -1
				}
			}
		}
		return true
	})
}

// WriteMsgUnix is net.UnixConn's WriteMsgUnix: p with the control
// messages oob (unix.UnixRights for SCM_RIGHTS), to addr on an unconnected
// unixgram socket, or to the peer when addr is nil. On a stream, control
// data with an empty p goes with one byte, as package syscall sends it,
// and n is 0. As net's, a connected unixgram socket refuses it
// (net.ErrWriteToConnected, even with a nil addr), an addr whose Net is
// not the socket's fails with EAFNOSUPPORT, and a connected stream leaves
// an addr to the kernel (sendmsg's EISCONN); a descriptor in oob that is
// not open fails with an error naming it, wrapping EBADF.
func (fd *FD) WriteMsgUnix(p, oob []byte, addr *net.UnixAddr) (n, oobn int, err error) {
	dst := opAddr(addr)
	if fd.Kind == Datagram && fd.peerNamed() {
		return 0, 0, fd.opErrorTo(dst, net.ErrWriteToConnected)
	}
	if addr != nil && addr.Net != fd.unixNet() {
		return 0, 0, fd.opErrorTo(dst, unix.EAFNOSUPPORT)
	}
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, 0, fd.opErrorTo(dst, err)
	}
	defer fd.Unlock(h)
	m := fd.msgFor(h)
	var namelen uint32
	if addr != nil {
		if namelen, err = sock.PutUnix(&m.name, addr.Name); err != nil {
			return 0, 0, fd.opErrorTo(dst, wrapName("sendmsg", err))
		}
	}
	dummy := len(p) == 0 && len(oob) > 0 && fd.Kind != Datagram
	if dummy {
		p = m.dummy[:]
	}
	n, err = fd.sendMsg(h, m, p, oob, namelen, "sendmsg")
	if err != nil {
		if se, ok := err.(*os.SyscallError); ok && se.Err == unix.EBADF {
			err = badRights(oob, err)
		}
		return n, 0, fd.opErrorTo(dst, err)
	}
	if dummy {
		n = 0
	}
	return n, len(oob), nil
}

// badRights names the first descriptor in oob's SCM_RIGHTS messages that
// is not open, for sendmsg's EBADF.
func badRights(oob []byte, err error) error {
	bad := err
	cmsg.Each(oob, func(level, typ int32, data []byte) bool {
		if level != unix.SOL_SOCKET || typ != unix.SCM_RIGHTS {
			return true
		}
		for i := 0; i+4 <= len(data); i += 4 {
			d := int(*(*int32)(unsafe.Pointer(&data[i])))
			if _, e := unix.FcntlInt(uintptr(d), unix.F_GETFD, 0); e != nil {
				bad = fmt.Errorf("SCM_RIGHTS descriptor %d is not open: %w", d, err)
				return false
			}
		}
		return true
	})
	return bad
}
