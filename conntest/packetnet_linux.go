package conntest

import (
	"errors"
	"net"
	"net/netip"
	"os"
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
	{"ErrorsNameTheNetwork", testErrorsNameTheNetwork},
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

// wantNet checks that err is a *net.OpError whose Net is network.
func wantNet(t *testing.T, what string, err error, network string) {
	t.Helper()
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Net != network {
		t.Errorf("%s: %v (%T), want a *net.OpError with Net %q", what, err, err, network)
	}
}

// testErrorsNameTheNetwork listens on "udp4": every error names "udp4",
// the network the caller gave, as net's do, not the family's "udp".
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
