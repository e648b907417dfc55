package iofd

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// batchWant is what a batch message's msghdr must hold before each
// attempt (the kernel rewrites namelen, controllen and flags on receive).
type batchWant struct {
	namelen    uint32
	controllen int
}

// setBatch lays ms out in m: one mmsghdr, one address buffer and the
// iovecs of each message. want holds each one's name and control lengths.
func (m *msgState) setBatch(ms []Message, names []uint32) {
	k := len(ms)
	m.mm = grow(m.mm, k)
	m.names = grow(m.names, k)
	m.want = grow(m.want, k)
	m.iovs = m.iovs[:0]
	m.emptyIov = unix.Iovec{Base: &m.dummy[0]}
	for i := range ms {
		for _, b := range ms[i].Buffers {
			if len(b) == 0 {
				continue
			}
			v := unix.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			m.iovs = append(m.iovs, v)
		}
	}
	next := 0
	for i := range ms {
		h := &m.mm[i].Hdr
		*h = unix.Msghdr{}
		m.mm[i].Len = 0
		nv := 0
		for _, b := range ms[i].Buffers {
			if len(b) > 0 {
				nv++
			}
		}
		if nv > 0 {
			h.Iov = &m.iovs[next]
			h.SetIovlen(nv)
			next += nv
		} else {
			// An empty datagram: one iovec of length 0, as set does.
			h.Iov = &m.emptyIov
			h.SetIovlen(1)
		}
		m.want[i] = batchWant{namelen: names[i], controllen: len(ms[i].OOB)}
		if names[i] > 0 {
			h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		}
		if len(ms[i].OOB) > 0 {
			h.Control = &ms[i].OOB[0]
		}
	}
	m.mmOff = 0
}

// rearmBatch restores the count messages from mmOff on.
func (m *msgState) rearmBatch(count int) {
	for i := m.mmOff; i < m.mmOff+count; i++ {
		h := &m.mm[i].Hdr
		h.Namelen = m.want[i].namelen
		h.SetControllen(m.want[i].controllen)
		h.Flags = 0
		m.mm[i].Len = 0
	}
}

// releaseBatch lets go of the caller's buffers.
func (m *msgState) releaseBatch() {
	clear(m.mm[:cap(m.mm)])
	m.releaseIovs()
}

// grow is s with length n, reusing its array when it is big enough.
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// batchNames is the scratch of name lengths for setBatch, per direction.
func (m *msgState) nameLens(k int) []uint32 {
	m.lens = grow(m.lens, k)
	return m.lens
}

// ReadBatch reads up to len(ms) datagrams (at most IOV_MAX) with one
// recvmmsg(2), in the shape of golang.org/x/net/ipv4.PacketConn's
// ReadBatch: it waits the FD's way for the first datagram, takes the ones
// already there behind it (MSG_WAITFORONE), and returns how many it
// filled, ms[:n], each with its N, NN, Flags (MSG_TRUNC for one larger than
// its Buffers, which is truncated as ReadFrom truncates) and sender in
// Addr. flags are added to the call's (MSG_CMSG_CLOEXEC on a Unix-domain
// socket, as recvMsg; a truncated control buffer's descriptors are closed
// as ReadMsgUnix closes them).
//
// A message with no room to read into (no Buffers, or only empty ones)
// fails the call with an error naming it. With MSG_DONTWAIT in flags it
// does not wait: with nothing there it fails at once with an error
// wrapping EAGAIN, as x/net's does. Once ms and its buffers are set
// up, ReadBatch allocates nothing where Addr already holds the sender's
// address as a *net.UDPAddr (the same peer as last time): it is kept as
// it is. Any other sender gets a new address, as x/net's, so an address
// the caller kept from an earlier batch never changes.
func (fd *FD) ReadBatch(ms []Message, flags int) (int, error) {
	n, err := fd.readBatch(ms, flags)
	return n, fd.batchNet(err)
}

// batchNet is a batch's error as x/net's ipv4.PacketConn names it: its Net
// is the socket address's network, LocalAddr().Network() ("udp" on a
// udp4 socket too), not the one the caller listened on.
func (fd *FD) batchNet(err error) error {
	if oe, ok := err.(*net.OpError); ok {
		oe.Net = sock.NetworkName(fd.Family, fd.sotype())
	}
	return err
}

func (fd *FD) readBatch(ms []Message, flags int) (int, error) {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("read", err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if len(ms) > iovMax {
		ms = ms[:iovMax]
	}
	if len(ms) == 0 {
		return 0, nil
	}
	for i := range ms {
		room := 0
		for _, b := range ms[i].Buffers {
			room += len(b)
		}
		if room == 0 {
			return 0, fd.OpError("read", fmt.Errorf("message %d of the batch has no buffer to read into: %w", i, unix.EINVAL))
		}
	}
	m := fd.msgFor(h)
	names := m.nameLens(len(ms))
	for i := range names {
		names[i] = unix.SizeofSockaddrAny
	}
	m.setBatch(ms, names)
	defer m.releaseBatch()
	n, err := fd.msgLoop(h, OpRecvMmsg, m, flags|fd.cmsgCloexec(), len(ms))
	if err != nil {
		return 0, fd.OpError("read", wrapSys(OpRecvMmsg, err))
	}
	sotype := fd.sotype()
	for i := 0; i < n; i++ {
		mh := &m.mm[i]
		msg := &ms[i]
		msg.N, msg.NN, msg.Flags = int(mh.Len), int(mh.Hdr.Controllen), int(mh.Hdr.Flags)
		h.bytes.Add(uint64(msg.N))
		if msg.Flags&unix.MSG_CTRUNC != 0 {
			closeRights(msg.OOB[:msg.NN])
		}
		msg.Addr = reuseAddr(msg.Addr, sotype, &m.names[i], min(mh.Hdr.Namelen, unix.SizeofSockaddrAny))
	}
	return n, nil
}

// reuseAddr is the sender in raw: old itself when old is a *net.UDPAddr
// that already holds exactly that address (the same IP bytes, port and
// zone), else a new net.Addr. An address the caller kept from an earlier
// batch is thus never changed, as x/net's ReadBatch never changes one,
// and a batch reused to read from the same peers allocates nothing.
func reuseAddr(old net.Addr, sotype int, raw *unix.RawSockaddrAny, n uint32) net.Addr {
	if a, ok := old.(*net.UDPAddr); ok && a != nil && sotype == unix.SOCK_DGRAM {
		if ap, ok := sock.AddrPortOf(raw, n); ok && sameUDPAddr(a, ap) {
			return a
		}
	}
	return sock.AddrOf(sotype, raw, n)
}

// sameUDPAddr reports whether a is ap as sock.AddrOf would make it: a
// 4-byte IP for an IPv4 sender, 16 bytes otherwise.
func sameUDPAddr(a *net.UDPAddr, ap netip.AddrPort) bool {
	ip := ap.Addr()
	if a.Port != int(ap.Port()) || a.Zone != ip.Zone() {
		return false
	}
	if ip.Is4() {
		b := ip.As4()
		return bytes.Equal(a.IP, b[:])
	}
	b := ip.As16()
	return bytes.Equal(a.IP, b[:])
}

// WriteBatch sends ms as datagrams with sendmmsg(2) (MSG_NOSIGNAL, and
// flags), in the shape of golang.org/x/net/ipv4.PacketConn's WriteBatch,
// waiting the FD's way when there is no room, and returns how many were
// sent, each with its N and NN; if a datagram fails after others went, it
// returns their count and the error. Each message goes to its Addr, which
// an unconnected socket needs (nil: an error naming the message, "missing
// address") and a connected one refuses (net.ErrWriteToConnected). A
// message with no Buffers fails the call with an error naming it; one
// whose buffers are empty is an empty datagram. At most IOV_MAX messages
// go per system call; the call loops until all have gone. With
// MSG_DONTWAIT in flags it does not wait for room: it returns what went
// and an error wrapping EAGAIN, as x/net's does. Once ms is set up it
// allocates nothing.
func (fd *FD) WriteBatch(ms []Message, flags int) (int, error) {
	n, err := fd.writeBatch(ms, flags)
	return n, fd.batchNet(err)
}

func (fd *FD) writeBatch(ms []Message, flags int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	connected := fd.isConnected()
	for i := range ms {
		switch {
		case len(ms[i].Buffers) == 0:
			return 0, fd.opErrorTo(ms[i].Addr, fmt.Errorf("message %d of the batch has no buffers: %w", i, unix.EINVAL))
		case ms[i].Addr == nil && !connected:
			return 0, fd.opErrorTo(nil, fmt.Errorf("message %d of the batch: %w", i, errMissingAddress))
		case ms[i].Addr != nil && connected:
			return 0, fd.opErrorTo(ms[i].Addr, fmt.Errorf("message %d of the batch: %w", i, net.ErrWriteToConnected))
		}
	}
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.opErrorTo(nil, err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	m := fd.msgFor(h)
	sent := 0
	for sent < len(ms) {
		part := ms[sent:min(len(ms), sent+iovMax)]
		names := m.nameLens(len(part))
		m.names = grow(m.names, len(part))
		for i := range part {
			names[i] = 0
			if part[i].Addr != nil {
				l, err := fd.putAddr(&m.names[i], part[i].Addr)
				if err == unix.EINVAL {
					err = fmt.Errorf("a %T (%v) is not an address of a %s socket: %w", part[i].Addr, part[i].Addr, fd.network, err)
				}
				if err != nil {
					m.releaseBatch()
					return sent, fd.opErrorTo(part[i].Addr, fmt.Errorf("message %d of the batch: %w", sent+i, err))
				}
				names[i] = l
			}
		}
		m.setBatch(part, names)
		n, err := fd.msgLoop(h, OpSendMmsg, m, flags|unix.MSG_NOSIGNAL, len(part))
		for i := 0; i < n; i++ {
			part[i].N, part[i].NN = int(m.mm[i].Len), len(part[i].OOB)
			h.bytes.Add(uint64(part[i].N))
		}
		m.releaseBatch()
		sent += n
		if err != nil {
			var dst net.Addr
			if sent < len(ms) {
				dst = ms[sent].Addr
			}
			return sent, fd.opErrorTo(dst, wrapSys(OpSendMmsg, err))
		}
	}
	return sent, nil
}
