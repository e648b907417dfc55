package iofd

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// msgState is one direction's kernel structures for the message calls: a
// msghdr with one iovec and a sockaddr buffer for ReadFrom, WriteTo and
// their kin, and the growing arrays of Writev and the batches. It lives in
// the FD (FD.msgs), so that the kernel and a Completer can be handed
// pointers into it without an allocation per call, and is used only under
// its Half's lock.
type msgState struct {
	hdr  unix.Msghdr
	iov  [1]unix.Iovec
	name unix.RawSockaddrAny

	// What the caller set up: the kernel rewrites msg_namelen and
	// msg_controllen, so each attempt starts again from these.
	namelen    uint32
	controllen int

	// dummy is the one byte that goes with control data and no data on a
	// stream, as package syscall sends and receives it.
	dummy [1]byte

	iovs  []unix.Iovec          // Writev's vector, the batches' iovecs
	mm    []Mmsghdr             // the batches' headers
	names []unix.RawSockaddrAny // the batches' addresses
	want  []batchWant           // what each batch header must hold
	lens  []uint32              // the batches' address lengths
	mmOff int                   // the first header of this attempt

	// emptyIov is the iovec of an empty datagram in a batch: length 0,
	// pointing at dummy (see set).
	emptyIov unix.Iovec
}

// Mmsghdr is struct mmsghdr (sendmmsg(2)): a msghdr and the count of its
// message; Go pads it as C does, to the msghdr's alignment (64 bytes on
// 64-bit ports, 32 on 32-bit ones). An Op of kind OpRecvMmsg or OpSendMmsg
// points at Count of them in a row.
type Mmsghdr struct {
	Hdr unix.Msghdr
	Len uint32
}

// msgFor is h's msgState, made on first use. Call it under h's lock.
func (fd *FD) msgFor(h *Half) *msgState {
	m := fd.msgs[h.dir]
	if m == nil {
		m = new(msgState)
		fd.msgs[h.dir] = m
	}
	return m
}

// set points m's msghdr at p, oob and, if namelen > 0, m's own address
// buffer holding namelen bytes (a send's destination, or room for a
// receive's source).
func (m *msgState) set(p, oob []byte, namelen uint32) {
	m.hdr = unix.Msghdr{}
	m.iov[0] = unix.Iovec{}
	// An empty p is still one iovec, of length 0: qemu-user answers a
	// sendmsg(2) with no iovec at all as done and sends nothing, where
	// Linux sends an empty datagram.
	m.iov[0].Base = &m.dummy[0]
	if len(p) > 0 {
		m.iov[0].Base = &p[0]
		m.iov[0].SetLen(len(p))
	}
	m.hdr.Iov = &m.iov[0]
	m.hdr.SetIovlen(1)
	m.namelen, m.controllen = namelen, len(oob)
	if namelen > 0 {
		m.hdr.Name = (*byte)(unsafe.Pointer(&m.name))
	}
	if len(oob) > 0 {
		m.hdr.Control = &oob[0]
	}
}

// rearm restores what the kernel rewrote in the last attempt.
func (m *msgState) rearm() {
	m.hdr.Namelen = m.namelen
	m.hdr.SetControllen(m.controllen)
	m.hdr.Flags = 0
}

// release lets go of the caller's buffers.
func (m *msgState) release() {
	m.hdr = unix.Msghdr{}
	m.iov[0] = unix.Iovec{}
}

// msgLoop is the one loop for the message, vector and batch calls, as
// recv and send are for the plain ones: check closed and deadline before
// each attempt, the system call (sysMsg), on EAGAIN wait the FD's way or
// hand the call to the Completer, retry EINTR and ECANCELED. A Completer
// that answers ENOSYS for kind is not asked again in this call: the loop
// makes the system call itself and waits for readiness between attempts
// (waitReady: OpPoll, or poll(2)). flags are the call's own (MSG_*); sysMsg
// adds the FD's MSG_DONTWAIT and MSG_NOSIGNAL. A MSG_DONTWAIT in flags is
// the caller's: the loop does not wait, and returns the EAGAIN. It returns the system
// call's result, or the bare error (an errno, net.ErrClosed,
// os.ErrDeadlineExceeded, a Waiter's), for the caller to wrap.
func (fd *FD) msgLoop(h *Half, kind OpKind, m *msgState, flags, count int) (int, error) {
	f := fallible{c: fd.completerFor(fd.waiter)}
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return 0, err
		}
		m.rearm()
		if kind == OpRecvMmsg || kind == OpSendMmsg {
			m.rearmBatch(count)
		}
		n, err := 0, error(unix.EAGAIN)
		tried := f.direct(fd, h, kind, attempt)
		if tried {
			n, err = fd.sysMsg(h, kind, m, flags, count)
		}
		if err == unix.EAGAIN && tried && flags&unix.MSG_DONTWAIT != 0 {
			// The caller's own MSG_DONTWAIT (a batch's flags): one
			// attempt, and its EAGAIN, as x/net's ReadBatch and
			// WriteBatch return it.
			return 0, err
		}
		if err == unix.EAGAIN {
			op := Op{Kind: kind, Flags: flags, Count: count, Msg: unsafe.Pointer(&m.hdr)}
			if kind == OpRecvMmsg || kind == OpSendMmsg {
				op.Msg = unsafe.Pointer(&m.mm[m.mmOff])
			}
			var retry bool
			if n, err, retry = fd.again(h, fd.waiter, &f, &attempt, tried, op); retry {
				continue
			}
		}
		read := h.dir == Read
		if kind == OpRecvMmsg && n == 1 && m.mm[m.mmOff].Len == 0 && m.mm[m.mmOff].Hdr.Namelen == 0 {
			n = 0 // the empty "datagram" of shutdown(2), or a real one: closed decides
			if !fd.refs.closed() {
				n = 1
			}
		}
		if (err != nil || read && n == 0) && fd.refs.closed() {
			// Close woke this call (shutdown(2), a cancel on the ring).
			return 0, net.ErrClosed
		}
		switch err {
		case nil:
			return n, nil
		case unix.EINTR, unix.ECANCELED:
			// A signal (the deadline moved), or the completer withdrew
			// the call: check decides.
		default:
			return n, err
		}
	}
}

// sysMsg is one attempt's system call: recvmsg, sendmsg, writev, recvmmsg
// or sendmmsg on m. In the blocking model a socket call sleeps in the
// kernel, where a signal reaches it (enterKernel).
func (fd *FD) sysMsg(h *Half, kind OpKind, m *msgState, flags, count int) (int, error) {
	s := uintptr(fd.Sysfd)
	var trap, a2, a3, a4 uintptr
	switch kind {
	case OpRecvMsg:
		trap, a2, a3 = unix.SYS_RECVMSG, uintptr(unsafe.Pointer(&m.hdr)), uintptr(flags|fd.recvFlags)
	case OpSendMsg:
		trap, a2, a3 = unix.SYS_SENDMSG, uintptr(unsafe.Pointer(&m.hdr)), uintptr(flags|fd.sendFlags)
	case OpWritev:
		trap, a2, a3 = unix.SYS_WRITEV, uintptr(unsafe.Pointer(m.hdr.Iov)), uintptr(count)
	case OpRecvMmsg:
		// MSG_WAITFORONE: wait for the first datagram only (in the
		// blocking model), then take what is there.
		trap, a2, a3, a4 = unix.SYS_RECVMMSG, uintptr(unsafe.Pointer(&m.mm[m.mmOff])), uintptr(count), uintptr(flags|fd.recvFlags|unix.MSG_WAITFORONE)
	case OpSendMmsg:
		trap, a2, a3, a4 = unix.SYS_SENDMMSG, uintptr(unsafe.Pointer(&m.mm[m.mmOff])), uintptr(count), uintptr(flags|fd.sendFlags)
	}
	kernel := fd.Mode == Blocking && fd.Kind.IsSocket()
	if kernel {
		if err := fd.enterKernel(h); err != nil {
			return 0, err
		}
	}
	r, _, e := unix.Syscall6(trap, s, a2, a3, a4, 0, 0)
	if kernel {
		fd.leaveKernel(h)
	} else {
		h.syscalls.Add(1)
	}
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// msgSysName names kind's system call in errors.
func msgSysName(kind OpKind) string {
	switch kind {
	case OpRecvMsg:
		return "recvmsg"
	case OpSendMsg:
		return "sendmsg"
	case OpWritev:
		return "writev"
	case OpRecvMmsg:
		return "recvmmsg"
	case OpSendMmsg:
		return "sendmmsg"
	}
	return "syscall"
}

// wrapSys makes a loop's bare errno an *os.SyscallError naming the call.
func wrapSys(kind OpKind, err error) error {
	if isErrno(err) {
		return os.NewSyscallError(msgSysName(kind), err)
	}
	return err
}

// errMissingAddress is package net's error for a WriteTo with no address.
var errMissingAddress = errors.New("missing address")

// opErrorTo is OpError for a write to dst, as net names one: the socket's
// address as Source, the destination as Addr.
func (fd *FD) opErrorTo(dst net.Addr, err error) error {
	fd.addrMu.Lock()
	src := fd.laddr
	if dst == nil {
		dst = fd.raddr
	}
	fd.addrMu.Unlock()
	return &net.OpError{Op: "write", Net: fd.network, Source: src, Addr: dst, Err: err}
}

// recvResult is what recvMsg returns besides the error, on the caller's
// stack: the counts, the flags and the sender's raw address.
type recvResult struct {
	n, oobn, flags int
	name           unix.RawSockaddrAny
	namelen        uint32
}

// recvMsg is one recvmsg(2) into p and oob through msgLoop (with
// MSG_CMSG_CLOEXEC on a Unix-domain socket, cmsgCloexec), the sender's
// address copied out to r. The error is bare.
func (fd *FD) recvMsg(p, oob []byte, flags int, r *recvResult) error {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return err
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	m := fd.msgFor(h)
	m.set(p, oob, unix.SizeofSockaddrAny)
	n, err := fd.msgLoop(h, OpRecvMsg, m, flags|fd.cmsgCloexec(), 1)
	if err == nil {
		h.bytes.Add(uint64(n))
		r.n, r.oobn, r.flags = n, int(m.hdr.Controllen), int(m.hdr.Flags)
		r.namelen = m.hdr.Namelen
		if r.namelen > unix.SizeofSockaddrAny {
			r.namelen = unix.SizeofSockaddrAny
		}
		r.name = m.name
	}
	m.release()
	return wrapSys(OpRecvMsg, err)
}

// cmsgCloexec is the receive flag MSG_CMSG_CLOEXEC on a Unix-domain
// socket, the one kind whose control messages bring descriptors
// (SCM_RIGHTS), and 0 on any other: package net passes it only there
// (UnixConn's readMsg), and the kernel hands it back in msg_flags, so a
// UDP read that passed it would report a flag net's does not.
func (fd *FD) cmsgCloexec() int {
	if fd.Family == unix.AF_UNIX {
		return unix.MSG_CMSG_CLOEXEC
	}
	return 0
}

// sendMsg is one sendmsg(2) of p and oob to the destination already laid
// out in the Write Half's msgState (namelen bytes; 0: the connected peer),
// through msgLoop, with MSG_NOSIGNAL. The caller holds the Write lock. The
// error is bare.
func (fd *FD) sendMsg(h *Half, m *msgState, p, oob []byte, namelen uint32) (int, error) {
	h.calls.Add(1)
	m.set(p, oob, namelen)
	n, err := fd.msgLoop(h, OpSendMsg, m, unix.MSG_NOSIGNAL, 1)
	m.release()
	if err == nil {
		h.bytes.Add(uint64(n))
	}
	return n, wrapSys(OpSendMsg, err)
}

// isConnected reports whether the socket has a peer: a connected datagram
// socket sends only to it, as net's UDPConn (ErrWriteToConnected).
func (fd *FD) isConnected() bool {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	return fd.raddr != nil
}

// putAddr lays dst out in raw for this socket, as net converts a
// destination: a *net.UDPAddr (or *net.IPAddr's kin, a *net.TCPAddr, is
// refused) on an IP socket, a *net.UnixAddr on a Unix-domain one. The
// error says what is wrong.
func (fd *FD) putAddr(raw *unix.RawSockaddrAny, dst net.Addr) (uint32, error) {
	switch a := dst.(type) {
	case *net.UDPAddr:
		if fd.Family != unix.AF_INET && fd.Family != unix.AF_INET6 {
			break
		}
		if a == nil {
			return 0, errMissingAddress
		}
		return fd.putAddrPort(raw, udpAddrPort(a))
	case *net.UnixAddr:
		if fd.Family != unix.AF_UNIX {
			break
		}
		if a == nil {
			return 0, errMissingAddress
		}
		return sock.PutUnix(raw, a.Name)
	}
	return 0, fmt.Errorf("a %T (%v) is not an address of a %s socket: %w", dst, dst, fd.network, unix.EINVAL)
}

// udpAddrPort is a.AddrPort(), with net's reading of no IP as the
// unspecified address.
func udpAddrPort(a *net.UDPAddr) netip.AddrPort {
	if len(a.IP) == 0 {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(a.Port))
	}
	return a.AddrPort()
}

func (fd *FD) putAddrPort(raw *unix.RawSockaddrAny, ap netip.AddrPort) (uint32, error) {
	if ap.Addr() == netip.IPv6Unspecified() && fd.Family == unix.AF_INET {
		ap = netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port())
	}
	return sock.PutAddrPort(raw, fd.Family, ap)
}

// ReadFrom is net.PacketConn's ReadFrom: one datagram into p, and its
// sender (nil for an unnamed Unix-domain sender, as net's). A datagram
// larger than p is truncated: n is what fit, the rest is discarded, as
// net's UDPConn does (ReadMsgUDP reports MSG_TRUNC). It waits the FD's
// way; errors are *net.OpError with Op "read".
func (fd *FD) ReadFrom(p []byte) (int, net.Addr, error) {
	var r recvResult
	if err := fd.recvMsg(p, nil, 0, &r); err != nil {
		return 0, nil, fd.OpError("read", err)
	}
	return r.n, sock.AddrOf(fd.sotype(), &r.name, r.namelen), nil
}

// ReadFromUDP is net.UDPConn's ReadFromUDP: ReadFrom with the sender as a
// *net.UDPAddr.
func (fd *FD) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	n, ap, err := fd.ReadFromUDPAddrPort(p)
	if err != nil || !ap.IsValid() {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// ReadFromUDPAddrPort is net.UDPConn's ReadFromUDPAddrPort: ReadFrom with
// the sender as a netip.AddrPort (an IPv4 sender to an IPv6 socket in its
// v4-mapped form, as net's). It does not allocate.
func (fd *FD) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	var r recvResult
	if err := fd.recvMsg(p, nil, 0, &r); err != nil {
		return 0, netip.AddrPort{}, fd.OpError("read", err)
	}
	ap, _ := sock.AddrPortOf(&r.name, r.namelen)
	return r.n, ap, nil
}

// ReadMsgUDP is net.UDPConn's ReadMsgUDP: one datagram into p, its control
// messages into oob, the message flags (MSG_TRUNC, MSG_CTRUNC) and the
// sender.
func (fd *FD) ReadMsgUDP(p, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, oobn, flags, ap, err := fd.ReadMsgUDPAddrPort(p, oob)
	if err == nil && ap.IsValid() {
		addr = net.UDPAddrFromAddrPort(ap)
	}
	return n, oobn, flags, addr, err
}

// ReadMsgUDPAddrPort is net.UDPConn's ReadMsgUDPAddrPort: ReadMsgUDP with
// the sender as a netip.AddrPort.
func (fd *FD) ReadMsgUDPAddrPort(p, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	var r recvResult
	if err := fd.recvMsg(p, oob, 0, &r); err != nil {
		return 0, 0, 0, netip.AddrPort{}, fd.OpError("read", err)
	}
	ap, _ := sock.AddrPortOf(&r.name, r.namelen)
	return r.n, r.oobn, r.flags, ap, nil
}

// WriteTo is net.PacketConn's WriteTo: p as one datagram to addr, which
// must be of the socket's kind (a *net.UDPAddr on udp, a *net.UnixAddr on
// unixgram). A nil addr fails with "missing address", one of another kind
// with an error naming it (wrapping EINVAL), an IPv6 address on an IPv4
// socket with one wrapping EAFNOSUPPORT; on a connected socket WriteTo
// fails with net.ErrWriteToConnected, as net's. Errors are *net.OpError
// with Op "write" and the destination as Addr.
func (fd *FD) WriteTo(p []byte, addr net.Addr) (int, error) {
	if addr == nil {
		return 0, fd.opErrorTo(nil, errMissingAddress)
	}
	return fd.writeMsgTo(p, nil, addr, netip.AddrPort{})
}

// WriteToUDP is net.UDPConn's WriteToUDP.
func (fd *FD) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) {
	if addr == nil {
		return 0, fd.opErrorTo(nil, errMissingAddress)
	}
	return fd.writeMsgTo(p, nil, addr, netip.AddrPort{})
}

// WriteToUDPAddrPort is net.UDPConn's WriteToUDPAddrPort; it does not
// allocate. An invalid addr fails with "missing address".
func (fd *FD) WriteToUDPAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	if !addr.IsValid() {
		return 0, fd.opErrorTo(nil, errMissingAddress)
	}
	return fd.writeMsgTo(p, nil, nil, addr)
}

// WriteMsgUDP is net.UDPConn's WriteMsgUDP: p as one datagram with the
// control messages oob, to addr, or to the peer of a connected socket
// when addr is nil (on an unconnected one the kernel's EDESTADDRREQ, as
// net). It returns the bytes of p and of oob written.
func (fd *FD) WriteMsgUDP(p, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	var dst net.Addr
	if addr != nil {
		dst = addr
	}
	n, err = fd.writeMsgTo(p, oob, dst, netip.AddrPort{})
	if err == nil {
		oobn = len(oob)
	}
	return n, oobn, err
}

// WriteMsgUDPAddrPort is net.UDPConn's WriteMsgUDPAddrPort: WriteMsgUDP
// with the destination as a netip.AddrPort (the zero one: the connected
// peer).
func (fd *FD) WriteMsgUDPAddrPort(p, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	n, err = fd.writeMsgTo(p, oob, nil, addr)
	if err == nil {
		oobn = len(oob)
	}
	return n, oobn, err
}

// writeMsgTo sends p and oob to dst (or ap when dst is nil and ap valid,
// or the connected peer when neither); a connected socket refuses an
// address, as net's.
func (fd *FD) writeMsgTo(p, oob []byte, dst net.Addr, ap netip.AddrPort) (int, error) {
	named := dst != nil || ap.IsValid()
	if named && fd.isConnected() {
		return 0, fd.opErrorTo(errDst(dst, ap), net.ErrWriteToConnected)
	}
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.opErrorTo(errDst(dst, ap), err)
	}
	defer fd.Unlock(h)
	m := fd.msgFor(h)
	var namelen uint32
	if named {
		var err error
		if dst != nil {
			namelen, err = fd.putAddr(&m.name, dst)
		} else if fd.Family == unix.AF_INET || fd.Family == unix.AF_INET6 {
			namelen, err = fd.putAddrPort(&m.name, ap)
		} else {
			err = fmt.Errorf("a netip.AddrPort (%v) is not an address of a %s socket: %w", ap, fd.network, unix.EINVAL)
		}
		if err != nil {
			return 0, fd.opErrorTo(errDst(dst, ap), err)
		}
	}
	n, err := fd.sendMsg(h, m, p, oob, namelen)
	if err != nil {
		return n, fd.opErrorTo(errDst(dst, ap), err)
	}
	return n, nil
}

// errDst is the destination an error names: made only on the error path,
// so that a write to a netip.AddrPort does not allocate.
func errDst(dst net.Addr, ap netip.AddrPort) net.Addr {
	if dst == nil && ap.IsValid() {
		return net.UDPAddrFromAddrPort(ap)
	}
	return dst
}
