package iofd

import (
	"errors"
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
// the FD's extras (FD.extra), so that the kernel and a Driver can be handed
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
	x := fd.extra()
	m := x.msgs[h.dir]
	if m == nil {
		m = new(msgState)
		x.msgs[h.dir] = m
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

// rearm restores what the kernel rewrote in the last attempt of c.
func (m *msgState) rearm(c *Call) {
	m.hdr.Namelen = m.namelen
	m.hdr.SetControllen(m.controllen)
	m.hdr.Flags = 0
	if c.Kind == OpRecvMmsg || c.Kind == OpSendMmsg {
		m.rearmBatch(c.Count)
	}
}

// release lets go of the caller's buffers.
func (m *msgState) release() {
	m.hdr = unix.Msghdr{}
	m.iov[0] = unix.Iovec{}
}

// msgLoop is the loop (do) for the message, vector and batch calls on m:
// kind's system call of m's msghdr (OpRecvMsg, OpSendMsg, OpWritev) or
// of count mmsghdrs from m.mmOff on (OpRecvMmsg, OpSendMmsg), m rearmed
// before each attempt. flags are the call's own (MSG_*); the attempt adds
// the FD's MSG_DONTWAIT and MSG_NOSIGNAL. A MSG_DONTWAIT in flags is the
// caller's: the loop does not wait, and returns the EAGAIN, as x/net's
// ReadBatch and WriteBatch do. It returns the system call's result, or
// the bare error (an errno, net.ErrClosed, os.ErrDeadlineExceeded, a
// Driver's), for the caller to wrap.
func (fd *FD) msgLoop(h *Half, kind OpKind, m *msgState, flags, count int) (int, error) {
	c := h.call()
	defer c.reset()
	c.Kind, c.Flags, c.Count = kind, flags, count // m is msgFor(h), rearmed by do
	c.Msg = unsafe.Pointer(&m.hdr)
	if kind == OpRecvMmsg || kind == OpSendMmsg {
		c.Msg = unsafe.Pointer(&m.mm[m.mmOff])
	}
	n, err := fd.do(h, c, flags&unix.MSG_DONTWAIT == 0)
	if err == nil && kind == OpRecvMmsg && n == 1 && m.mm[m.mmOff].Len == 0 && m.mm[m.mmOff].Hdr.Namelen == 0 && fd.refs.closed() {
		// The empty "datagram" of shutdown(2) that Close made, or a
		// real one: closed decides.
		return 0, net.ErrClosed
	}
	return n, err
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

// wrapSys makes a loop's bare errno an *os.SyscallError naming kind's
// call.
func wrapSys(kind OpKind, err error) error { return wrapName(msgSysName(kind), err) }

// wrapName makes a bare errno an *os.SyscallError naming the call sys:
// package net's name for it, which is not always the call made (net's
// WriteTo names "sendto" where ours is a sendmsg(2), its ReadFrom
// "recvfrom" where ours is a recvmsg(2)).
func wrapName(sys string, err error) error {
	if isErrno(err) {
		return os.NewSyscallError(sys, err)
	}
	return err
}

// errMissingAddress is package net's error for a write with no address.
var errMissingAddress = errors.New("missing address")

// opErrorTo is OpError for a write to dst, as net names one: the socket's
// address as Source, the destination the caller gave as Addr (nil for
// none: net's WriteMsgUDP does not name the connected peer there).
func (fd *FD) opErrorTo(dst net.Addr, err error) error {
	fd.addrMu.Lock()
	src := fd.laddr
	fd.addrMu.Unlock()
	return &net.OpError{Op: "write", Net: fd.network, Source: src, Addr: dst, Err: err}
}

// opAddr is a as an OpError's Addr: nil for a nil pointer, not an
// interface holding one, as net's own opAddr.
func opAddr[A any, P interface {
	*A
	net.Addr
}](a P) net.Addr {
	if a == nil {
		return nil
	}
	return a
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
// address copied out to r. The error is not an OpError; an errno is an
// *os.SyscallError named sys, as net names the call ("recvfrom" for
// ReadFrom, "recvmsg" for ReadMsgUDP).
func (fd *FD) recvMsg(p, oob []byte, flags int, sys string, r *recvResult) error {
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
	return wrapName(sys, err)
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
// error is not an OpError; an errno is an *os.SyscallError named sys.
func (fd *FD) sendMsg(h *Half, m *msgState, p, oob []byte, namelen uint32, sys string) (int, error) {
	h.calls.Add(1)
	m.set(p, oob, namelen)
	n, err := fd.msgLoop(h, OpSendMsg, m, unix.MSG_NOSIGNAL, 1)
	m.release()
	if err == nil {
		h.bytes.Add(uint64(n))
	}
	return n, wrapName(sys, err)
}

// sendTo is one datagram of p and oob to ap (if valid) or to ua (if not
// nil), or to the connected peer when neither is given, through sendMsg;
// sys names the call in errors. The error is not an OpError.
func (fd *FD) sendTo(p, oob []byte, ap netip.AddrPort, ua *net.UnixAddr, sys string) (int, error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, err
	}
	defer fd.Unlock(h)
	m := fd.msgFor(h)
	var namelen uint32
	var err error
	switch {
	case ap.IsValid():
		namelen, err = sock.PutAddrPort(&m.name, fd.Family, ap)
	case ua != nil:
		namelen, err = sock.PutUnix(&m.name, ua.Name)
	}
	if err != nil {
		return 0, wrapName(sys, err)
	}
	return fd.sendMsg(h, m, p, oob, namelen, sys)
}

// isConnected reports whether the socket has a peer: a connected datagram
// socket sends only to it, as net's UDPConn (ErrWriteToConnected).
func (fd *FD) isConnected() bool {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	return fd.raddr != nil
}

// isIP reports whether the socket is an IPv4 or IPv6 one.
func (fd *FD) isIP() bool { return fd.Family == unix.AF_INET || fd.Family == unix.AF_INET6 }

// peerNamed reports whether the socket is connected to a named peer: on
// a Unix-domain socket, one that Dial connected, which net's UnixConn
// refuses to write to an address (ErrWriteToConnected). A socketpair(2)'s
// peer is unnamed (getpeername(2) gives no path, which reads as "@"), and
// net, which did not connect it, writes as asked.
func (fd *FD) peerNamed() bool {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	a, ok := fd.raddr.(*net.UnixAddr)
	return ok && a.Name != "" && a.Name != "@"
}

// unixNet is the Net a *net.UnixAddr must have to be this socket's
// destination, as net's UnixConn checks it ("unixgram" on a datagram
// socket).
func (fd *FD) unixNet() string { return sock.NetworkName(unix.AF_UNIX, fd.sotype()) }

// putAddr lays a batch message's dst out in raw for this socket, as the
// single writes convert theirs: a *net.UDPAddr on an IP socket
// (udpAddrPort), a *net.UnixAddr on a Unix-domain one. A nil pointer is
// "missing address", another kind of address EINVAL.
func (fd *FD) putAddr(raw *unix.RawSockaddrAny, dst net.Addr) (uint32, error) {
	switch a := dst.(type) {
	case *net.UDPAddr:
		if !fd.isIP() {
			break
		}
		if a == nil {
			return 0, errMissingAddress
		}
		ap, err := udpAddrPort(fd.Family, a)
		if err != nil {
			return 0, err
		}
		return sock.PutAddrPort(raw, fd.Family, ap)
	case *net.UnixAddr:
		if fd.Family != unix.AF_UNIX {
			break
		}
		if a == nil {
			return 0, errMissingAddress
		}
		return sock.PutUnix(raw, a.Name)
	}
	return 0, unix.EINVAL
}

// udpAddrPort is a as the destination of a socket of family, converted
// as package net converts one (ipToSockaddrInet4, ipToSockaddrInet6): no
// IP is the family's unspecified address (0.0.0.0 is :: on IPv6), an IP
// the family cannot hold a *net.AddrError with net's text. A port outside
// 0-65535 is EINVAL, bare, as net's sendto gets it from the conversion
// of its sockaddr: the caller names the call.
func udpAddrPort(family int, a *net.UDPAddr) (netip.AddrPort, error) {
	ip := a.IP
	var addr netip.Addr
	switch family {
	case unix.AF_INET:
		if len(ip) == 0 {
			ip = net.IPv4zero
		}
		ip4 := ip.To4()
		if ip4 == nil {
			return netip.AddrPort{}, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		addr = netip.AddrFrom4([4]byte(ip4))
	case unix.AF_INET6:
		if len(ip) == 0 || ip.Equal(net.IPv4zero) {
			ip = net.IPv6zero
		}
		ip6 := ip.To16()
		if ip6 == nil {
			return netip.AddrPort{}, &net.AddrError{Err: "non-IPv6 address", Addr: ip.String()}
		}
		addr = netip.AddrFrom16([16]byte(ip6))
		if a.Zone != "" {
			addr = addr.WithZone(a.Zone)
		}
	default:
		return netip.AddrPort{}, &net.AddrError{Err: "invalid address family", Addr: ip.String()}
	}
	if a.Port < 0 || a.Port > 0xFFFF {
		return netip.AddrPort{}, unix.EINVAL
	}
	return netip.AddrPortFrom(addr, uint16(a.Port)), nil
}

// ReadFrom is net.PacketConn's ReadFrom: one datagram into p, and its
// sender (nil for an unnamed Unix-domain sender, as net's). A datagram
// larger than p is truncated: n is what fit, the rest is discarded, as
// net's UDPConn does (ReadMsgUDP reports MSG_TRUNC). It waits the FD's
// way; errors are *net.OpError with Op "read", a system call's named
// "recvfrom", as net's.
func (fd *FD) ReadFrom(p []byte) (int, net.Addr, error) {
	var r recvResult
	if err := fd.recvMsg(p, nil, 0, "recvfrom", &r); err != nil {
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
	if err := fd.recvMsg(p, nil, 0, "recvfrom", &r); err != nil {
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
	if err := fd.recvMsg(p, oob, 0, "recvmsg", &r); err != nil {
		return 0, 0, 0, netip.AddrPort{}, fd.OpError("read", err)
	}
	ap, _ := sock.AddrPortOf(&r.name, r.namelen)
	return r.n, r.oobn, r.flags, ap, nil
}

// WriteTo is net.PacketConn's WriteTo: p as one datagram to addr, a
// *net.UDPAddr on an IP socket (WriteToUDP), a *net.UnixAddr on a
// Unix-domain one. Any other addr, nil among them, fails with EINVAL, as
// net's. Errors are *net.OpError with Op "write" and the destination as
// Addr; a system call's is named "sendto", as net's.
func (fd *FD) WriteTo(p []byte, addr net.Addr) (int, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		if fd.isIP() {
			return fd.WriteToUDP(p, a)
		}
	case *net.UnixAddr:
		if fd.Family == unix.AF_UNIX {
			return fd.writeToUnix(p, a)
		}
	}
	return 0, fd.opErrorTo(addr, unix.EINVAL)
}

// WriteToUDP is net.UDPConn's WriteToUDP. As net's, a connected socket
// refuses it (net.ErrWriteToConnected), a nil addr is "missing address",
// an IP the socket's family cannot hold a *net.AddrError, and a port
// outside 0-65535 sendto's EINVAL.
func (fd *FD) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) {
	if fd.isConnected() {
		return 0, fd.opErrorTo(opAddr(addr), net.ErrWriteToConnected)
	}
	if addr == nil {
		return 0, fd.opErrorTo(nil, errMissingAddress)
	}
	ap, err := udpAddrPort(fd.Family, addr)
	if err != nil {
		return 0, fd.opErrorTo(addr, wrapName("sendto", err))
	}
	n, err := fd.sendTo(p, nil, ap, nil, "sendto")
	if err != nil {
		return n, fd.opErrorTo(addr, err)
	}
	return n, nil
}

// WriteToUDPAddrPort is net.UDPConn's WriteToUDPAddrPort, with
// WriteToUDP's errors (an invalid addr is "missing address"), each naming
// addr as net's do (addrPortAddr); it does not allocate but to fail.
func (fd *FD) WriteToUDPAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	if fd.isConnected() {
		return 0, fd.opErrorTo(addrPortAddr{addr}, net.ErrWriteToConnected)
	}
	if !addr.IsValid() {
		return 0, fd.opErrorTo(addrPortAddr{addr}, errMissingAddress)
	}
	n, err := fd.sendTo(p, nil, addr, nil, "sendto")
	if err != nil {
		return n, fd.opErrorTo(addrPortAddr{addr}, err)
	}
	return n, nil
}

// writeToUnix is WriteTo on a Unix-domain socket, as net's UnixConn
// checks it: a connected socket refuses it (net.ErrWriteToConnected), a
// nil addr is "missing address", one whose Net is not the socket's
// ("unix" on a unixgram socket) EAFNOSUPPORT.
func (fd *FD) writeToUnix(p []byte, addr *net.UnixAddr) (int, error) {
	switch {
	case fd.peerNamed():
		return 0, fd.opErrorTo(opAddr(addr), net.ErrWriteToConnected)
	case addr == nil:
		return 0, fd.opErrorTo(nil, errMissingAddress)
	case addr.Net != fd.unixNet():
		return 0, fd.opErrorTo(addr, unix.EAFNOSUPPORT)
	}
	n, err := fd.sendTo(p, nil, netip.AddrPort{}, addr, "sendto")
	if err != nil {
		return n, fd.opErrorTo(addr, err)
	}
	return n, nil
}

// WriteMsgUDP is net.UDPConn's WriteMsgUDP: p as one datagram with the
// control messages oob, to addr, or to the peer of a connected socket
// when addr is nil. As net's, a connected socket refuses an addr
// (net.ErrWriteToConnected) and an unconnected one needs it ("missing
// address"); the addr's errors are WriteToUDP's, named "sendmsg". It
// returns the bytes of p and of oob written.
func (fd *FD) WriteMsgUDP(p, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	connected := fd.isConnected()
	switch {
	case connected && addr != nil:
		return 0, 0, fd.opErrorTo(addr, net.ErrWriteToConnected)
	case !connected && addr == nil:
		return 0, 0, fd.opErrorTo(nil, errMissingAddress)
	}
	var ap netip.AddrPort
	if addr != nil {
		if ap, err = udpAddrPort(fd.Family, addr); err != nil {
			return 0, 0, fd.opErrorTo(addr, wrapName("sendmsg", err))
		}
	}
	if n, err = fd.sendTo(p, oob, ap, nil, "sendmsg"); err != nil {
		return n, 0, fd.opErrorTo(opAddr(addr), err)
	}
	return n, len(oob), nil
}

// WriteMsgUDPAddrPort is net.UDPConn's WriteMsgUDPAddrPort: WriteMsgUDP
// with the destination as a netip.AddrPort (the zero one: none), its
// errors naming addr as net's do (addrPortAddr).
func (fd *FD) WriteMsgUDPAddrPort(p, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	connected := fd.isConnected()
	switch {
	case connected && addr.IsValid():
		return 0, 0, fd.opErrorTo(addrPortAddr{addr}, net.ErrWriteToConnected)
	case !connected && !addr.IsValid():
		return 0, 0, fd.opErrorTo(addrPortAddr{addr}, errMissingAddress)
	}
	if n, err = fd.sendTo(p, oob, addr, nil, "sendmsg"); err != nil {
		return n, 0, fd.opErrorTo(addrPortAddr{addr}, err)
	}
	return n, len(oob), nil
}

// addrPortAddr is a netip.AddrPort as the net.Addr an error names, as
// net's WriteToUDPAddrPort and WriteMsgUDPAddrPort name theirs (net's own
// such type is unexported): network "udp", and the AddrPort's text, which
// is "invalid AddrPort" for the zero one.
type addrPortAddr struct{ netip.AddrPort }

// Network is "udp", as net's.
func (addrPortAddr) Network() string { return "udp" }
