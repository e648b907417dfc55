package main

// streamExtras is the part of the template that gives a stream Conn what
// net.TCPConn and net.UnixConn have beyond net.Conn: io.ReaderFrom with
// sendfile(2) and splice(2), io.WriterTo with splice(2), descriptor passing
// and vectored writes (issue 15).
const streamExtras = `
var (
	_ io.ReaderFrom = (*Conn)(nil)
	_ io.WriterTo   = (*Conn)(nil)
)

// ReadFrom copies r to the Conn until io.EOF, as net.TCPConn's ReadFrom
// (io.ReaderFrom, which io.Copy and net/http's response writer use): on a
// stream socket from a regular file (an *os.File, or an *io.LimitedReader
// of one) with sendfile(2), from a pipe or a stream socket with splice(2),
// in the kernel; from anything else through a 32 KiB buffer. It waits the
// model's way for room, under the write deadline. Stats().ZeroCopy says
// how many bytes went which way. Errors are *net.OpError with Op
// "readfrom".
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if n, handled, err := {{.ConnFD}}.SendFile(r); handled {
		return n, err
	}
	return {{.ConnFD}}.ReadFromGeneric(r)
}

// WriteTo copies what the Conn reads to w until io.EOF, as net.TCPConn's
// WriteTo (io.WriterTo, which io.Copy uses): to a pipe or a stream socket
// with splice(2), in the kernel; to anything else through a 32 KiB buffer.
// It waits the model's way for data, under the read deadline. Errors are
// *net.OpError with Op "writeto".
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	if n, handled, err := {{.ConnFD}}.SpliceTo(w); handled {
		return n, err
	}
	return {{.ConnFD}}.WriteToGeneric(w)
}

// ReadMsgUnix reads a message and its control data (oob) from a Unix
// socket, as net.UnixConn's ReadMsgUnix: n and oobn are the bytes of p and
// oob filled, flags the message's flags (MSG_TRUNC, MSG_CTRUNC), addr the
// sender where it has one. Descriptors passed with SCM_RIGHTS arrive
// close-on-exec (parse them with syscall.ParseSocketControlMessage and
// syscall.ParseUnixRights); they are the caller's to close. Where oob was
// too small for them, flags has MSG_CTRUNC and oob holds those that fit,
// the caller's too, as net's (the kernel closes the others).
func (c *Conn) ReadMsgUnix(p, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error) {
	return {{.ConnFD}}.ReadMsgUnix(p, oob)
}

// WriteMsgUnix writes p and its control data oob (e.g.
// syscall.UnixRights(fds...) to pass descriptors) to addr, or to the peer
// of a connected stream when addr is nil, as net.UnixConn's WriteMsgUnix
// (which a dialed unixgram socket refuses, net.ErrWriteToConnected, as
// net's does); on a stream, p must not be empty when oob is not (a byte
// carries the control data). It returns the bytes of p and oob written. A
// closed descriptor in oob fails with an error naming it (EBADF).
func (c *Conn) WriteMsgUnix(p, oob []byte, addr *net.UnixAddr) (n, oobn int, err error) {
	return {{.ConnFD}}.WriteMsgUnix(p, oob, addr)
}

// WriteBuffers writes bufs in order with as few system calls as it can
// (writev(2), or sendmsg(2) with an iovec on a socket, IOV_MAX buffers per
// call), as net.Buffers.WriteTo does on a net.TCPConn: all of every buffer
// on a stream, one message on a datagram or seqpacket socket. bufs is not
// modified; it returns the bytes written.
//
// net.Buffers.WriteTo cannot reach it (the interface it looks for is
// unexported) and copies buffer by buffer instead; a net.Buffers is a
// [][]byte, so call c.WriteBuffers(buffers) rather than buffers.WriteTo(c).
func (c *Conn) WriteBuffers(bufs [][]byte) (int64, error) { return {{.ConnFD}}.Writev(bufs) }

// withZeroCopy is fd's counters with the zero-copy ones.
func withZeroCopy(fd *iofd.FD) iomodel.Stats {
	s := fd.Stats()
	s.ZeroCopy.Sendfile, s.ZeroCopy.Splice, s.ZeroCopy.Copied = fd.ZeroCopyStats()
	return s
}
`

// packet is the part of the template that makes the datagram servers:
// PacketConn, ListenPacket and ListenConfig.ListenPacket (issue 15).
const packet = `
var (
	_ net.PacketConn = (*PacketConn)(nil)
	_ net.Conn       = (*PacketConn)(nil)
)

// PacketConn is a datagram socket of this model ("udp", "udp4", "udp6" or
// "unixgram"), what *net.UDPConn and a datagram *net.UnixConn are: both a
// net.PacketConn and a net.Conn, with the methods of net.UDPConn and
// net.UnixConn, each waiting the model's way. ListenPacket makes an
// unconnected one (ReadFrom reports each datagram's sender, WriteTo names
// its destination); Dialer.DialPacket and DialContext a connected one
// (Read and Write exchange datagrams with the peer, RemoteAddr names it,
// and WriteTo, which names an address, fails with net.ErrWriteToConnected,
// as net's).
// ReadFrom returns one datagram and its sender; a datagram larger than
// the buffer is truncated, n is what fit and the rest is discarded, as
// net's UDPConn does; an empty datagram is 0 bytes, no error. Close
// unblocks every pending call. ReadBatch and WriteBatch move many
// datagrams per system call (recvmmsg(2), sendmmsg(2)), which net's types
// do not offer; they take golang.org/x/net/ipv4's Message (iomodel.Message
// is that type), so quic-go and x/net's users read in batches through
// them.
//
// Unlike a stream Conn, it has no io.ReaderFrom or io.WriterTo: its
// ReadFrom and WriteTo are net.PacketConn's, so code that tells datagrams
// from streams by asserting net.PacketConn (miekg/dns does) sees a
// datagram socket, as it sees net's.
type PacketConn struct{ c *Conn }

// Read reads one datagram into b, as net.UDPConn's Read: on a connected
// socket from its peer, on an unconnected one from anyone. What does not
// fit in b is discarded. Errors are *net.OpError with Op "read".
func (p *PacketConn) Read(b []byte) (int, error) { return {{.PacketFD}}.Recv(b) }

// Write sends b as one datagram to the connected peer, as net.UDPConn's
// Write; an unconnected socket has no peer and fails (EDESTADDRREQ, as
// net's). An empty b sends an empty datagram. Errors are *net.OpError
// with Op "write".
func (p *PacketConn) Write(b []byte) (int, error) { return {{.PacketFD}}.Send(b) }

// RemoteAddr is the peer of a connected socket (Dialer.DialPacket,
// DialContext), recorded when it was connected; nil for an unconnected
// one, as net.UDPConn's.
func (p *PacketConn) RemoteAddr() net.Addr { return {{.PacketFD}}.RemoteAddr() }

// ReadFrom reads one datagram into p and returns its size (at most
// len(p): the rest of a larger one is discarded) and its sender, as
// net.PacketConn's ReadFrom. Errors are *net.OpError with Op "read".
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) { return {{.PacketFD}}.ReadFrom(b) }

// WriteTo sends b as one datagram to addr, as net.PacketConn's WriteTo:
// a *net.UDPAddr on a UDP socket, a *net.UnixAddr of Net "unixgram" on a
// unixgram one. Its errors are net's, in an *net.OpError (Op "write"):
// EINVAL for a nil address or one of another kind, EAFNOSUPPORT for a
// UnixAddr of another Net, a *net.AddrError for an IP the socket's family
// cannot hold, the kernel's (named "sendto") for a path nobody is bound to.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) { return {{.PacketFD}}.WriteTo(b, addr) }

// Close closes the socket, as net.PacketConn's: every pending call returns
// an error wrapping net.ErrClosed; a second Close returns one too. A
// unixgram socket's file stays, as net's, unless SetUnlinkOnClose(true).
func (p *PacketConn) Close() error { return {{.PacketFD}}.Close() }

// LocalAddr is the address the socket is bound to; it stays after Close.
func (p *PacketConn) LocalAddr() net.Addr { return {{.PacketFD}}.LocalAddr() }

// SetDeadline sets the read and write deadlines, as net.PacketConn's:
// past it a pending or future call fails with an error wrapping
// os.ErrDeadlineExceeded. The zero time means none.
func (p *PacketConn) SetDeadline(t time.Time) error { return {{.PacketFD}}.SetDeadline(t) }

// SetReadDeadline sets the deadline of the reads (see SetDeadline).
func (p *PacketConn) SetReadDeadline(t time.Time) error { return {{.PacketFD}}.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of the writes (see SetDeadline).
func (p *PacketConn) SetWriteDeadline(t time.Time) error { return {{.PacketFD}}.SetWriteDeadline(t) }

// ReadFromUDP is ReadFrom with the sender as a *net.UDPAddr, as
// net.UDPConn's.
func (p *PacketConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	return {{.PacketFD}}.ReadFromUDP(b)
}

// WriteToUDP is WriteTo to a *net.UDPAddr, as net.UDPConn's.
func (p *PacketConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return {{.PacketFD}}.WriteToUDP(b, addr)
}

// ReadFromUDPAddrPort is ReadFrom with the sender as a netip.AddrPort, as
// net.UDPConn's (an IPv4 sender on an IPv6 socket is IPv4-mapped); it
// allocates nothing for the address.
func (p *PacketConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return {{.PacketFD}}.ReadFromUDPAddrPort(b)
}

// WriteToUDPAddrPort is WriteTo to a netip.AddrPort, as net.UDPConn's.
func (p *PacketConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return {{.PacketFD}}.WriteToUDPAddrPort(b, addr)
}

// ReadMsgUDP reads a datagram and its control data (oob), as
// net.UDPConn's: n and oobn are the bytes of b and oob filled, flags the
// message's flags (MSG_TRUNC for a datagram larger than b, MSG_CTRUNC for
// control data larger than oob), addr the sender.
func (p *PacketConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	return {{.PacketFD}}.ReadMsgUDP(b, oob)
}

// WriteMsgUDP sends b with control data oob to addr, as net.UDPConn's.
func (p *PacketConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	return {{.PacketFD}}.WriteMsgUDP(b, oob, addr)
}

// ReadMsgUDPAddrPort is ReadMsgUDP with the sender as a netip.AddrPort, as
// net.UDPConn's.
func (p *PacketConn) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	return {{.PacketFD}}.ReadMsgUDPAddrPort(b, oob)
}

// WriteMsgUDPAddrPort is WriteMsgUDP to a netip.AddrPort, as net.UDPConn's.
func (p *PacketConn) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	return {{.PacketFD}}.WriteMsgUDPAddrPort(b, oob, addr)
}

// ReadMsgUnix reads a datagram and its control data from a unixgram
// socket, as net.UnixConn's ReadMsgUnix: descriptors passed with
// SCM_RIGHTS arrive close-on-exec and are the caller's to close; where oob
// was too small for them, flags has MSG_CTRUNC and oob holds those that
// fit, the caller's too, as net's.
func (p *PacketConn) ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error) {
	return {{.PacketFD}}.ReadMsgUnix(b, oob)
}

// WriteMsgUnix sends b with control data oob (e.g. syscall.UnixRights) to
// addr on a unixgram socket, as net.UnixConn's WriteMsgUnix.
func (p *PacketConn) WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error) {
	return {{.PacketFD}}.WriteMsgUnix(b, oob, addr)
}

// ReadBatch reads up to len(ms) datagrams, waiting the model's way for the
// first, with recvmmsg(2), as x/net/ipv4.PacketConn's ReadBatch (ms are
// x/net's ipv4.Message, which iomodel.Message is, so quic-go takes this
// ReadBatch for its batched reads): it returns how many messages it filled, ms[:n], each with its
// N, NN, Flags (MSG_TRUNC for a truncated one) and sender in Addr; the
// batch comes back partly filled when fewer datagrams were waiting. flags
// are added to the call's (with MSG_DONTWAIT it does not wait: nothing
// there is an error wrapping EAGAIN, as x/net's). A message with no room
// to read into fails the call with an error naming it. An Addr that already holds the
// sender's address as a *net.UDPAddr is kept, so that a batch reused to
// read from the same peers allocates nothing; any other sender gets a new
// address, as x/net's, and an address kept from an earlier batch never
// changes.
func (p *PacketConn) ReadBatch(ms []iomodel.Message, flags int) (int, error) {
	return {{.PacketFD}}.ReadBatch(ms, flags)
}

// WriteBatch sends the datagrams of ms, each to its Addr, with
// sendmmsg(2), in the shape of x/net/ipv4.PacketConn's WriteBatch: it
// returns how many went, each with its N and NN, and, if one failed after
// others went, their count and the error (with MSG_DONTWAIT in flags, an
// error wrapping EAGAIN where there is no room, as x/net's). A message
// with no Buffers or no Addr fails the call with an error naming it; one
// whose buffers are all empty is an empty datagram.
func (p *PacketConn) WriteBatch(ms []iomodel.Message, flags int) (int, error) {
	return {{.PacketFD}}.WriteBatch(ms, flags)
}

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF), as
// net.UDPConn's.
func (p *PacketConn) SetReadBuffer(bytes int) error { return {{.PacketFD}}.SetReadBuffer(bytes) }

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF), as
// net.UDPConn's.
func (p *PacketConn) SetWriteBuffer(bytes int) error { return {{.PacketFD}}.SetWriteBuffer(bytes) }

// SyscallConn returns the raw connection, as net.UDPConn's: Read and Write
// wait the model's way between calls of f, under the deadlines.
func (p *PacketConn) SyscallConn() (syscall.RawConn, error) { return {{.PacketFD}}.RawConn(), nil }

// File returns a copy of the descriptor as an *os.File, as net.UDPConn's:
// closing either leaves the other open.
func (p *PacketConn) File() (*os.File, error) { return {{.PacketFD}}.File() }

// Stats reports the socket's counters: calls, system calls, would-blocks,
// waits and bytes, per direction; a batch is one call.
func (p *PacketConn) Stats() iomodel.Stats { return {{.PacketFD}}.Stats() }

// SetUnlinkOnClose sets whether Close removes a unixgram socket's file;
// by default it stays, as net's.
func (p *PacketConn) SetUnlinkOnClose(unlink bool) { {{.PacketFD}}.SetUnlinkOnClose(unlink) }

// SetGSO sets the UDP segment size (UDP_SEGMENT, udp(7)) of every send: a
// send larger than segment leaves as datagrams of segment bytes, the last
// one shorter; 0 turns it off. For one send only, put iomodel.AppendGSO's
// control message in its oob instead. A kernel without it (before 4.18),
// or a socket that is not UDP, gives an error wrapping
// errors.ErrUnsupported.
func (p *PacketConn) SetGSO(segment int) error { return {{.PacketFD}}.SetGSO(segment) }

// SetGRO turns UDP receive offload (UDP_GRO, udp(7)) on or off: with it
// on, one ReadMsgUDP or ReadBatch message may hold several datagrams of
// one flow, their segment size in a UDP_GRO control message: give oob
// iomodel.GROSpace bytes of room and read it with iomodel.GROSegment. A kernel without it (before 5.0), or a socket that is not
// UDP, gives an error wrapping errors.ErrUnsupported.
func (p *PacketConn) SetGRO(on bool) error { return {{.PacketFD}}.SetGRO(on) }

// packetOpener makes a bound datagram socket a PacketConn: a Conn of the
// model's own making, unconnected.
func packetOpener({{if .Options}}o options{{end}}) iofd.Opener[*PacketConn] {
	open := dialOpener({{if .Options}}o{{end}})
	return func(sysfd int, remote net.Addr) (*PacketConn, *iofd.FD, error) {
		c, fd, err := open(sysfd, remote)
		if err != nil {
			return nil, nil, err
		}
		return &PacketConn{c: c}, fd, nil
	}
}

// DialPacket connects a datagram socket ("udp", "udp4", "udp6",
// "unixgram") to address, as DialContext does, and returns it as a
// *PacketConn: a net.Conn and a net.PacketConn at once, as net's
// Dial("udp") result (a *net.UDPConn) is. Read and Write exchange
// datagrams with the peer; ReadFrom reports it as the sender; WriteTo,
// which names an address, fails with net.ErrWriteToConnected, as net's
// does even for the peer's. Another
// network fails with an *net.OpError around net.UnknownNetworkError.
func (d *Dialer) DialPacket(ctx context.Context, network, address string) (*PacketConn, error) {
{{- if .Options}}
	o, err := makeOptions(d.Options)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	return iofd.DialPacketContext(ctx, d.config(), model, network, address, packetOpener(o))
{{- else}}
	return iofd.DialPacketContext(ctx, d.config(), model, network, address, packetOpener())
{{- end}}
}

// ListenPacket announces on the local address of a datagram network
// ("udp", "udp4", "udp6", "unixgram"), as net.ListenPacket does: a zero
// ListenConfig's ListenPacket.
func ListenPacket(network, address string{{if .Options}}, opts ...Option{{end}}) (*PacketConn, error) {
	lc := ListenConfig{ {{- if .Options}}Options: opts{{end -}} }
	return lc.ListenPacket(context.Background(), network, address)
}

// ListenPacket announces on the local address of a datagram network
// ("udp", "udp4", "udp6", "unixgram"), as net.ListenConfig's ListenPacket:
// Control runs before bind(2) (KeepAlive does not apply); "udp" with no
// host listens on every address of both families; a port of 0 picks one
// (LocalAddr says which). Errors are *net.OpError with Op "listen".
func (lc *ListenConfig) ListenPacket(ctx context.Context, network, address string) (*PacketConn, error) {
	c := &iofd.ListenConfig{Control: lc.Control}
{{- if .Options}}
	o, err := makeOptions(lc.Options)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return iofd.ListenPacketContext(ctx, c, model, network, address, packetOpener(o))
{{- else}}
	return iofd.ListenPacketContext(ctx, c, model, network, address, packetOpener())
{{- end}}
}
`
