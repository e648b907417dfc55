package conntest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

// The checks of this file pin what package net does where the model had
// done otherwise: each runs on net, the control, and on the model, and
// states net's behaviour exactly (the flags, the error's type, its text).

// packetParityCases run on "udp" and "unixgram" beside datagramCases; a case
// that is about one network only skips the other.
var packetParityCases = []struct {
	name string
	run  func(t *testing.T, s packetSide, network string)
}{
	{"MessageFlags", testMessageFlags},
	{"BatchDontWait", testBatchDontWait},
	{"BatchKeepsAddrs", testBatchKeepsAddrs},
	{"ErrorsNameTheNetwork", testErrorsNameTheNetwork},
	{"WriteErrors", testWriteErrors},
	{"OptionErrorsAfterClose", testOptionErrorsAfterClose},
	{"ListenPacketStreamNetwork", testListenPacketStreamNetwork},
	{"ListenPacketAutobind", testListenPacketAutobind},
	{"ListenDualStack", testListenDualStack},
	{"ReadErrorNames", testReadErrorNames},
	{"DialedDatagram", testDialedDatagram},
}

// udpMsger is the Msg forms of net.UDPConn's reads.
type udpMsger interface {
	ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
	ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error)
}

// testMessageFlags reads a plain datagram with every Msg form: on UDP the
// flags are 0, as net's (it asks for MSG_CMSG_CLOEXEC only on Unix
// sockets, and the kernel hands that flag back); on unixgram they are
// what net's ReadMsgUnix reports, MSG_CMSG_CLOEXEC.
func testMessageFlags(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 8)
	if network == "unixgram" {
		mustWriteTo(t, a, []byte("m"), b.LocalAddr())
		_, _, flags, _, err := b.(unixMsger).ReadMsgUnix(buf, nil)
		if err != nil || flags != unix.MSG_CMSG_CLOEXEC {
			t.Errorf("ReadMsgUnix of a plain datagram: flags %#x, %v; want %#x (MSG_CMSG_CLOEXEC), nil", flags, err, unix.MSG_CMSG_CLOEXEC)
		}
		return
	}
	r := b.(udpMsger)
	mustWriteTo(t, a, []byte("m"), b.LocalAddr())
	if _, _, flags, _, err := r.ReadMsgUDP(buf, nil); err != nil || flags != 0 {
		t.Errorf("ReadMsgUDP of a plain datagram: flags %#x, %v; want 0, nil", flags, err)
	}
	mustWriteTo(t, a, []byte("m"), b.LocalAddr())
	if _, _, flags, _, err := r.ReadMsgUDPAddrPort(buf, nil); err != nil || flags != 0 {
		t.Errorf("ReadMsgUDPAddrPort of a plain datagram: flags %#x, %v; want 0, nil", flags, err)
	}
	mustWriteTo(t, a, []byte("m"), b.LocalAddr())
	ms := []iomodel.Message{{Buffers: [][]byte{buf}}}
	if n, err := batchOf(t, s, b).ReadBatch(ms, 0); err != nil || n != 1 || ms[0].Flags != 0 {
		t.Errorf("ReadBatch of a plain datagram: %d, Flags %#x, %v; want 1, 0, nil", n, ms[0].Flags, err)
	}
}

// wantSyscallError checks that err is a *net.OpError with Op op wrapping
// an *os.SyscallError of the system call name and errno.
func wantSyscallError(t *testing.T, what string, err error, op, name string, errno unix.Errno) {
	t.Helper()
	var oe *net.OpError
	var se *os.SyscallError
	switch {
	case !errors.As(err, &oe) || oe.Op != op:
		t.Errorf("%s: %v (%T), want a *net.OpError with Op %q", what, err, err, op)
	case !errors.As(err, &se) || se.Syscall != name || !errors.Is(se.Err, errno):
		t.Errorf("%s: %v, want %s from %s", what, err, unix.ErrnoName(errno), name)
	}
}

// testBatchDontWait gives the batches MSG_DONTWAIT with nothing to read
// and no room to write: they fail at once with EAGAIN, as x/net's do,
// instead of waiting until the deadline.
func testBatchDontWait(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	ba, bb := batchOf(t, s, a), batchOf(t, s, b)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := bb.ReadBatch([]iomodel.Message{{Buffers: [][]byte{make([]byte, 8)}}}, unix.MSG_DONTWAIT)
	wantSyscallError(t, "ReadBatch(MSG_DONTWAIT) with nothing waiting", err, "read", "recvmmsg", unix.EAGAIN)
	if network != "unixgram" {
		return // a UDP send does not wait for the receiver
	}
	// A unixgram sender waits while the receiver's queue is full: fill it.
	a.SetWriteDeadline(time.Now().Add(5 * time.Second))
	ms := []iomodel.Message{{Buffers: [][]byte{[]byte("fill")}, Addr: b.LocalAddr()}}
	for i := 0; i < 1<<20; i++ {
		if _, err = ba.WriteBatch(ms, unix.MSG_DONTWAIT); err != nil {
			break
		}
	}
	wantSyscallError(t, "WriteBatch(MSG_DONTWAIT) to a full receiver", err, "write", "sendmmsg", unix.EAGAIN)
}

// testBatchKeepsAddrs: an address a ReadBatch returned does not change
// when the same Message reads again, from another sender, as x/net's
// ReadBatch gives each datagram an address of its own. (The model keeps
// the Addr it had, allocating nothing, only when it already is the
// sender's.)
func testBatchKeepsAddrs(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	c, err := s.pn.ListenPacket(network, packetAddress(t, network, "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bb := batchOf(t, s, b)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	ms := []iomodel.Message{{Buffers: [][]byte{make([]byte, 8)}}}
	read := func(from net.PacketConn) net.Addr {
		t.Helper()
		mustWriteTo(t, from, []byte("x"), b.LocalAddr())
		if n, err := bb.ReadBatch(ms, 0); n != 1 || err != nil {
			t.Fatalf("ReadBatch = %d, %v", n, err)
		}
		if !sameSender(ms[0].Addr, from.LocalAddr()) {
			t.Fatalf("ReadBatch's sender %v, want %v", ms[0].Addr, from.LocalAddr())
		}
		return ms[0].Addr
	}
	first := read(a)
	was := first.String()
	read(a) // the same sender again
	read(c)
	if first.String() != was {
		t.Errorf("an address ReadBatch returned changed from %s to %s when the Message read again", was, first)
	}
}

// wantNet checks that err is a *net.OpError whose Net is network.
func wantNet(t *testing.T, what string, err error, network string) {
	t.Helper()
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Net != network {
		t.Errorf("%s: %v (%T), want a *net.OpError with Net %q", what, err, err, network)
	}
}

// testErrorsNameTheNetwork listens on "udp4": every error names "udp4",
// the network the caller gave, as net's do, not the family's "udp"; but
// a batch's names "udp", as x/net's do.
func testErrorsNameTheNetwork(t *testing.T, s packetSide, network string) {
	if network != "udp" {
		t.Skip("the network of a unixgram socket has one name")
	}
	c, err := s.pn.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(-time.Second))
	_, _, err = c.ReadFrom(make([]byte, 8))
	wantNet(t, "ReadFrom past the deadline", err, "udp4")
	// x/net's batches name the address's network, LocalAddr().Network().
	_, err = batchOf(t, s, c).ReadBatch([]iomodel.Message{{Buffers: [][]byte{make([]byte, 8)}}}, 0)
	wantNet(t, "ReadBatch past the deadline", err, "udp")
	_, err = c.WriteTo([]byte("x"), &net.UnixAddr{Name: "/nonexistent", Net: "unixgram"})
	wantNet(t, "WriteTo a UnixAddr", err, "udp4")
	c.Close()
	_, _, err = c.ReadFrom(make([]byte, 8))
	wantNet(t, "ReadFrom after Close", err, "udp4")
	_, err = c.WriteTo([]byte("x"), c.LocalAddr())
	wantNet(t, "WriteTo after Close", err, "udp4")
	wantNet(t, "second Close", c.Close(), "udp4")
}

// testStreamErrorsNameTheNetwork is testErrorsNameTheNetwork over "tcp4":
// the listener's, the dialed conn's and the accepted conn's errors all
// name "tcp4", as net's.
func testStreamErrorsNameTheNetwork(t *testing.T, s packetSide) {
	l, err := s.pn.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		accepted <- c
	}()
	dc, err := s.pn.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	d, ok := dc.(net.Conn)
	if !ok {
		t.Fatalf("the dialed %T is not a net.Conn", dc)
	}
	a := <-accepted
	if a == nil {
		return
	}
	defer a.Close()
	for _, c := range []struct {
		name string
		c    net.Conn
	}{{"dialed", d}, {"accepted", a}} {
		c.c.SetReadDeadline(time.Now().Add(-time.Second))
		_, err := c.c.Read(make([]byte, 8))
		wantNet(t, "Read past the deadline on the "+c.name+" conn", err, "tcp4")
		c.c.Close()
		_, err = c.c.Write([]byte("x"))
		wantNet(t, "Write after Close on the "+c.name+" conn", err, "tcp4")
		wantNet(t, "second Close of the "+c.name+" conn", c.c.Close(), "tcp4")
	}
	l.Close()
	_, err = l.Accept()
	wantNet(t, "Accept after Close", err, "tcp4")
}

// wantOpErr checks that err is a *net.OpError with Op "write" whose Err
// is want itself (net's syscall.EINVAL, not an error wrapping it) and
// whose Addr is addr.
func wantOpErr(t *testing.T, what string, err, want error, addr net.Addr) {
	t.Helper()
	var oe *net.OpError
	switch {
	case !errors.As(err, &oe) || oe.Op != "write":
		t.Errorf("%s: %v (%T), want a *net.OpError with Op \"write\"", what, err, err)
	case oe.Err != want:
		t.Errorf("%s: Err is %v (%T), want %v (%T)", what, oe.Err, oe.Err, want, want)
	case oe.Addr != addr:
		t.Errorf("%s: Addr is %v (%T), want %v (%T)", what, oe.Addr, oe.Addr, addr, addr)
	}
}

// wantMissingAddress checks for net's "missing address" in a write's
// *net.OpError; with noAddr, one with no Addr (net names the invalid
// netip.AddrPort of the AddrPort forms, in a type of its own).
func wantMissingAddress(t *testing.T, what string, err error, noAddr bool) {
	t.Helper()
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" || oe.Err == nil || oe.Err.Error() != "missing address" || noAddr && oe.Addr != nil {
		t.Errorf("%s: %v, want a write *net.OpError with Err \"missing address\" (no Addr: %v)", what, err, noAddr)
	}
}

// wantAddrError checks for net's *net.AddrError with its text and address.
func wantAddrError(t *testing.T, what string, err error, text, addr string) {
	t.Helper()
	var ae *net.AddrError
	if !errors.As(err, &ae) || ae.Err != text || ae.Addr != addr {
		t.Errorf("%s: %v (%T), want a *net.AddrError %q for %q", what, err, err, text, addr)
	}
}

// wantDst checks that a write's *net.OpError names its destination as
// net's AddrPort writes do: network "udp", text dst.
func wantDst(t *testing.T, what string, err error, dst string) {
	t.Helper()
	var oe *net.OpError
	switch {
	case !errors.As(err, &oe) || oe.Addr == nil:
		t.Errorf("%s: %v, want a *net.OpError naming its destination", what, err)
	case oe.Addr.Network() != "udp" || oe.Addr.String() != dst:
		t.Errorf("%s: the error names %s %q, want udp %q", what, oe.Addr.Network(), oe.Addr.String(), dst)
	}
}

// udpWriter is net.UDPConn's writes.
type udpWriter interface {
	WriteToUDP(b []byte, addr *net.UDPAddr) (int, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error)
	WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error)
}

// testWriteErrors gives every write a destination it cannot use and
// checks net's error for each: its type, its Err exactly, the system
// call it names.
func testWriteErrors(t *testing.T, s packetSide, network string) {
	if network == "unixgram" {
		testUnixWriteErrors(t, s)
		return
	}
	c, err := s.pn.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := c.(udpWriter)
	x := []byte("x")
	_, err = c.WriteTo(x, nil)
	wantOpErr(t, "WriteTo(nil)", err, syscall.EINVAL, nil)
	for _, a := range []net.Addr{
		&net.UnixAddr{Name: "/nonexistent", Net: "unixgram"},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9},
		&net.IPAddr{IP: net.IPv4(127, 0, 0, 1)},
	} {
		_, err = c.WriteTo(x, a)
		wantOpErr(t, fmt.Sprintf("WriteTo a %T", a), err, syscall.EINVAL, a)
	}
	_, err = c.WriteTo(x, (*net.UDPAddr)(nil))
	wantMissingAddress(t, "WriteTo((*net.UDPAddr)(nil))", err, true)
	_, err = w.WriteToUDP(x, nil)
	wantMissingAddress(t, "WriteToUDP(nil)", err, true)
	_, _, err = w.WriteMsgUDP(x, nil, nil)
	wantMissingAddress(t, "WriteMsgUDP(nil) unconnected", err, true)
	_, _, err = w.WriteMsgUDPAddrPort(x, nil, netip.AddrPort{})
	wantMissingAddress(t, "WriteMsgUDPAddrPort(zero) unconnected", err, false)

	// Addresses a udp4 socket cannot hold.
	_, err = c.WriteTo(x, &net.UDPAddr{IP: net.IPv6loopback, Port: 9})
	wantAddrError(t, "WriteTo an IPv6 address on udp4", err, "non-IPv4 address", "::1")
	_, err = w.WriteToUDP(x, &net.UDPAddr{IP: net.IP{1, 2, 3}, Port: 9})
	wantAddrError(t, "WriteToUDP a 3-byte IP", err, "non-IPv4 address", net.IP{1, 2, 3}.String())
	_, err = w.WriteToUDPAddrPort(x, netip.MustParseAddrPort("[::1]:9"))
	wantAddrError(t, "WriteToUDPAddrPort an IPv6 address on udp4", err, "non-IPv4 address", "::1")
	_, _, err = w.WriteMsgUDP(x, nil, &net.UDPAddr{IP: net.IPv6loopback, Port: 9})
	wantAddrError(t, "WriteMsgUDP an IPv6 address on udp4", err, "non-IPv4 address", "::1")

	// A port past 65535 is not wrapped round: the conversion's EINVAL,
	// named after the call.
	port := c.LocalAddr().(*net.UDPAddr).Port
	_, err = w.WriteToUDP(x, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 65536 + port})
	wantSyscallError(t, "WriteToUDP to port 65536+p", err, "write", "sendto", unix.EINVAL)
	_, _, err = w.WriteMsgUDP(x, nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 65536 + port})
	wantSyscallError(t, "WriteMsgUDP to port 65536+p", err, "write", "sendmsg", unix.EINVAL)

	// The AddrPort writes name their destination as net's do, in any
	// error: network "udp" and the AddrPort's own text, "invalid
	// AddrPort" for the zero one, [::ffff:127.0.0.1]:9 for a mapped one.
	for _, ap := range []netip.AddrPort{{}, netip.MustParseAddrPort("[::1]:9"), netip.MustParseAddrPort("[::ffff:127.0.0.1]:0")} {
		_, err = w.WriteToUDPAddrPort(x, ap)
		wantDst(t, fmt.Sprintf("WriteToUDPAddrPort(%v)", ap), err, ap.String())
		_, _, err = w.WriteMsgUDPAddrPort(x, nil, ap)
		wantDst(t, fmt.Sprintf("WriteMsgUDPAddrPort(%v)", ap), err, ap.String())
	}

	// The kernel refuses port 0 (udp(7)): each call's name.
	zero := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0}
	_, err = c.WriteTo(x, zero)
	wantSyscallError(t, "WriteTo port 0", err, "write", "sendto", unix.EINVAL)
	_, err = w.WriteToUDP(x, zero)
	wantSyscallError(t, "WriteToUDP port 0", err, "write", "sendto", unix.EINVAL)
	_, err = w.WriteToUDPAddrPort(x, zero.AddrPort())
	wantSyscallError(t, "WriteToUDPAddrPort port 0", err, "write", "sendto", unix.EINVAL)
	_, _, err = w.WriteMsgUDP(x, nil, zero)
	wantSyscallError(t, "WriteMsgUDP port 0", err, "write", "sendmsg", unix.EINVAL)
	_, _, err = w.WriteMsgUDPAddrPort(x, nil, zero.AddrPort())
	wantSyscallError(t, "WriteMsgUDPAddrPort port 0", err, "write", "sendmsg", unix.EINVAL)
}

// testUnixWriteErrors is testWriteErrors on unixgram, and over a
// connected unixgram socket and a unix stream.
func testUnixWriteErrors(t *testing.T, s packetSide) {
	a, b := listenPair(t, s, "unixgram")
	x := []byte("x")
	_, err := a.WriteTo(x, nil)
	wantOpErr(t, "WriteTo(nil)", err, syscall.EINVAL, nil)
	udp := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	_, err = a.WriteTo(x, udp)
	wantOpErr(t, "WriteTo a *net.UDPAddr", err, syscall.EINVAL, udp)
	path := b.LocalAddr().(*net.UnixAddr).Name
	// The address's Net must be the socket's, as net's UnixConn checks.
	for _, n := range []string{"unix", "", "unixpacket"} {
		to := &net.UnixAddr{Name: path, Net: n}
		_, err = a.WriteTo(x, to)
		wantOpErr(t, fmt.Sprintf("WriteTo a UnixAddr of Net %q", n), err, syscall.EAFNOSUPPORT, to)
		_, _, err = a.(unixMsger).WriteMsgUnix(x, nil, to)
		wantOpErr(t, fmt.Sprintf("WriteMsgUnix to a UnixAddr of Net %q", n), err, syscall.EAFNOSUPPORT, to)
	}
	gone := &net.UnixAddr{Name: filepath.Join(filepath.Dir(path), "gone"), Net: "unixgram"}
	_, err = a.WriteTo(x, gone)
	wantSyscallError(t, "WriteTo a path nobody bound", err, "write", "sendto", unix.ENOENT)
	_, _, err = a.(unixMsger).WriteMsgUnix(x, nil, gone)
	wantSyscallError(t, "WriteMsgUnix to a path nobody bound", err, "write", "sendmsg", unix.ENOENT)

	// A dialed unixgram socket refuses WriteMsgUnix, even with no address.
	dc, err := s.pn.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	d, ok := unwrap(dc).(unixMsger)
	if !ok {
		t.Fatalf("the dialed %T has no WriteMsgUnix", unwrap(dc))
	}
	_, _, err = d.WriteMsgUnix(x, nil, nil)
	wantOpErr(t, "WriteMsgUnix(nil) on a dialed unixgram socket", err, net.ErrWriteToConnected, nil)

	// A connected stream leaves the address to the kernel: EISCONN.
	sd, _ := unixStreamPair(t, s)
	_, _, err = sd.WriteMsgUnix(x, nil, &net.UnixAddr{Name: path, Net: "unix"})
	wantSyscallError(t, "WriteMsgUnix with an address on a connected stream", err, "write", "sendmsg", unix.EISCONN)
}

// testOptionErrorsAfterClose sets options on a closed socket: net's
// errors name the socket's address as Addr, with no Source, for the
// buffer sizes and RawConn.Control.
func testOptionErrorsAfterClose(t *testing.T, s packetSide, network string) {
	c, err := s.pn.ListenPacket(network, packetAddress(t, network, "o"))
	if err != nil {
		t.Fatal(err)
	}
	type buffers interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	o, ok := c.(buffers)
	if !ok {
		t.Fatalf("%T has no SetReadBuffer and SetWriteBuffer", c)
	}
	rc := rawOf(t, c)
	c.Close()
	check := func(what, op string, err error) {
		t.Helper()
		var oe *net.OpError
		switch {
		case !errors.As(err, &oe) || oe.Op != op:
			t.Errorf("%s after Close: %v (%T), want a *net.OpError with Op %q", what, err, err, op)
		case oe.Source != nil || !sameAddr(oe.Addr, c.LocalAddr()):
			t.Errorf("%s after Close: Source %v, Addr %v; want no Source and Addr %v", what, oe.Source, oe.Addr, c.LocalAddr())
		}
	}
	check("SetReadBuffer", "set", o.SetReadBuffer(1<<16))
	check("SetWriteBuffer", "set", o.SetWriteBuffer(1<<16))
	check("RawConn.Control", "raw-control", rc.Control(func(uintptr) {}))
}

// testListenPacketStreamNetwork asks ListenPacket for "tcp" and "tcp4":
// net resolves the address and refuses it, a *net.AddrError "unexpected
// address type" in a "listen" *net.OpError whose Addr is the *net.TCPAddr.
func testListenPacketStreamNetwork(t *testing.T, s packetSide, network string) {
	if network != "udp" {
		t.Skip("once is enough")
	}
	for _, n := range []string{"tcp", "tcp4"} {
		c, err := s.pn.ListenPacket(n, "127.0.0.1:0")
		if err == nil {
			c.Close()
			t.Errorf("ListenPacket(%q) succeeded", n)
			continue
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "listen" || oe.Net != n {
			t.Errorf("ListenPacket(%q): %v (%T), want a \"listen\" *net.OpError with Net %q", n, err, err, n)
			continue
		}
		if a, ok := oe.Addr.(*net.TCPAddr); !ok || a.String() != "127.0.0.1:0" {
			t.Errorf("ListenPacket(%q): Addr %v (%T), want the *net.TCPAddr 127.0.0.1:0", n, oe.Addr, oe.Addr)
		}
		wantAddrError(t, fmt.Sprintf("ListenPacket(%q)", n), err, "unexpected address type", "127.0.0.1:0")
	}
}

// testListenPacketAutobind listens on unixgram with no name: net's bind(2)
// autobinds (unix(7)), the kernel picks an abstract name, and a datagram
// sent to it arrives.
func testListenPacketAutobind(t *testing.T, s packetSide, network string) {
	if network != "unixgram" {
		t.Skip("autobind is of Unix-domain sockets")
	}
	c, err := s.pn.ListenPacket("unixgram", "")
	if err != nil {
		t.Fatalf("ListenPacket(\"unixgram\", \"\"): %v", err)
	}
	defer c.Close()
	la, ok := c.LocalAddr().(*net.UnixAddr)
	if !ok || len(la.Name) < 2 || la.Name[0] != '@' {
		t.Fatalf("LocalAddr is %v (%T), want an abstract *net.UnixAddr", c.LocalAddr(), c.LocalAddr())
	}
	a, _ := listenPair(t, s, "unixgram")
	mustWriteTo(t, a, []byte("auto"), la)
	if got, _ := readOne(t, c, 8); string(got) != "auto" {
		t.Errorf("the autobound socket read %q, want \"auto\"", got)
	}
}

// testListenDualStack listens on plain "udp" and "tcp" at a wildcard
// address, 0.0.0.0 among them: net makes one IPv6 socket that takes both
// families (LocalAddr [::]), where the host can map IPv4 addresses.
func testListenDualStack(t *testing.T, s packetSide, network string) {
	if network != "udp" {
		t.Skip("dual-stack is of IP sockets")
	}
	v6, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer v6.Close()
	v4, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	for _, address := range []string{"0.0.0.0:0", ":0"} {
		c, err := s.pn.ListenPacket("udp", address)
		if err != nil {
			t.Fatalf("ListenPacket(\"udp\", %q): %v", address, err)
		}
		defer c.Close()
		la := c.LocalAddr().(*net.UDPAddr)
		if !la.IP.Equal(net.IPv6unspecified) {
			t.Errorf("ListenPacket(\"udp\", %q): LocalAddr %v, want [::]:port", address, la)
			continue
		}
		for _, from := range []net.PacketConn{v6, v4} {
			to := &net.UDPAddr{IP: net.IPv6loopback, Port: la.Port}
			if from == v4 {
				to.IP = net.IPv4(127, 0, 0, 1)
			}
			mustWriteTo(t, from, []byte("ds"), to)
			if got, _ := readOne(t, c, 8); string(got) != "ds" {
				t.Errorf("ListenPacket(\"udp\", %q) read %q from %v, want \"ds\"", address, got, from.LocalAddr())
			}
		}
	}
	l, err := s.pn.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	la := l.Addr().(*net.TCPAddr)
	if !la.IP.Equal(net.IPv6unspecified) {
		t.Errorf("Listen(\"tcp\", \"0.0.0.0:0\"): Addr %v, want [::]:port", la)
	}
}

// testReadErrorNames makes the reads fail in the kernel: with IP_RECVERR
// (ip(7)) an unconnected UDP socket reports the ICMP port unreachable of
// a datagram it sent, ECONNREFUSED, on its next read. ReadFrom's error
// names "recvfrom", ReadMsgUDP's "recvmsg", as net's.
func testReadErrorNames(t *testing.T, s packetSide, network string) {
	if network != "udp" {
		t.Skip("IP_RECVERR is of IP sockets")
	}
	c, err := s.pn.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc := rawOf(t, c)
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1) }); err != nil || serr != nil {
		t.Fatalf("IP_RECVERR: %v, %v", err, serr)
	}
	// A port nobody listens on: one that was just closed.
	gone, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to := gone.LocalAddr()
	gone.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	mustWriteTo(t, c, []byte("x"), to)
	_, _, err = c.ReadFrom(make([]byte, 8))
	wantSyscallError(t, "ReadFrom after a port unreachable", err, "read", "recvfrom", unix.ECONNREFUSED)
	mustWriteTo(t, c, []byte("x"), to)
	_, _, _, _, err = c.(udpMsger).ReadMsgUDP(make([]byte, 8), nil)
	wantSyscallError(t, "ReadMsgUDP after a port unreachable", err, "read", "recvmsg", unix.ECONNREFUSED)
}
