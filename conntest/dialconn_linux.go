package conntest

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// isPacketConn is how miekg/dns's Conn tells a datagram socket from a
// stream (it then writes a query as one datagram, where on a stream it
// puts a two-byte length before it): a net.PacketConn, unless it is a
// Unix-domain socket that is not unixgram or unixpacket.
func isPacketConn(c net.Conn) bool {
	if _, ok := c.(net.PacketConn); !ok {
		return false
	}
	if ua, ok := c.LocalAddr().(*net.UnixAddr); ok {
		return ua.Net == "unixgram" || ua.Net == "unixpacket"
	}
	return true
}

// testDialedDatagram: a datagram socket from DialConn (the model's
// DialContext function) is what net's Dial("udp") result is, a net.Conn
// and a net.PacketConn at once, with no io.ReaderFrom or io.WriterTo;
// Write reaches the peer, ReadFrom names the peer as the sender, Read
// reads its reply, WriteTo any address (the peer's too) is
// net.ErrWriteToConnected,
// and RemoteAddr is the peer. A stream from the same function is neither a
// net.PacketConn nor seen as one, and keeps its io.ReaderFrom.
func testDialedDatagram(t *testing.T, s packetSide, network string) {
	if s.pn.DialConn == nil {
		t.Skip("the PacketNetwork has no DialConn")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	peer, err := s.pn.ListenPacket(network, packetAddress(t, network, "peer"))
	if err != nil {
		t.Fatalf("ListenPacket(%q): %v", network, err)
	}
	defer peer.Close()
	// Unconnected, as net's: a net.Conn with no RemoteAddr, whose Write
	// has nowhere to go.
	if pc, ok := peer.(net.Conn); !ok {
		t.Errorf("ListenPacket(%q) gave a %T, which is not a net.Conn", network, peer)
	} else {
		if ra := pc.RemoteAddr(); ra != nil {
			t.Errorf("an unconnected socket's RemoteAddr() = %v, want nil", ra)
		}
		_, err := pc.Write([]byte("x"))
		wantError(t, "Write on an unconnected socket", err)
		want := syscall.EDESTADDRREQ
		if network == "unixgram" {
			want = syscall.ENOTCONN
		}
		if !errors.Is(err, want) {
			t.Errorf("Write on an unconnected socket: %v, want %v", err, want)
		}
	}
	peer.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := s.pn.DialConn(ctx, network, peer.LocalAddr().String())
	if err != nil {
		t.Fatalf("DialContext(%q, %v): %v", network, peer.LocalAddr(), err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	pc, ok := c.(net.PacketConn)
	if !ok {
		t.Fatalf("DialContext(%q) gave a %T, which is not a net.PacketConn", network, c)
	}
	if !isPacketConn(c) {
		t.Errorf("miekg/dns would take the %T from DialContext(%q) for a stream", c, network)
	}
	if _, ok := c.(io.ReaderFrom); ok {
		t.Errorf("the %T from DialContext(%q) is an io.ReaderFrom, which a datagram socket is not", c, network)
	}
	if _, ok := c.(io.WriterTo); ok {
		t.Errorf("the %T from DialContext(%q) is an io.WriterTo, which a datagram socket is not", c, network)
	}
	if !sameAddr(c.RemoteAddr(), peer.LocalAddr()) {
		t.Errorf("RemoteAddr() = %v, want the peer's %v", c.RemoteAddr(), peer.LocalAddr())
	}
	if n, err := c.Write([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("Write(ping) = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	n, from, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("the peer read %q, %v; want \"ping\"", buf[:n], err)
	}
	other, err := s.pn.ListenPacket(network, packetAddress(t, network, "other"))
	if err != nil {
		t.Fatalf("ListenPacket(%q): %v", network, err)
	}
	defer other.Close()
	for _, to := range []net.Addr{other.LocalAddr(), peer.LocalAddr()} {
		_, err = pc.WriteTo([]byte("x"), to)
		wantError(t, "WriteTo on a connected socket", err)
		if !errors.Is(err, net.ErrWriteToConnected) {
			t.Errorf("WriteTo %v on a socket connected to %v: %v, want net.ErrWriteToConnected", to, peer.LocalAddr(), err)
		}
	}
	if network == "unixgram" {
		return // a dialed unixgram socket has no name to reply to
	}
	if !sameAddr(from, c.LocalAddr()) {
		t.Errorf("the peer's ReadFrom names %v, want the dialed socket's %v", from, c.LocalAddr())
	}
	for _, p := range []string{"pong", "again"} {
		if _, err := peer.WriteTo([]byte(p), from); err != nil {
			t.Fatalf("the peer's WriteTo(%s): %v", p, err)
		}
	}
	n, sender, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "pong" || !sameAddr(sender, peer.LocalAddr()) {
		t.Errorf("ReadFrom = %q, %v, %v; want \"pong\" from %v", buf[:n], sender, err, peer.LocalAddr())
	}
	if n, err = c.Read(buf); err != nil || string(buf[:n]) != "again" {
		t.Errorf("Read = %q, %v; want \"again\"", buf[:n], err)
	}

	l, err := s.pn.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen(tcp): %v", err)
	}
	defer l.Close()
	sc, err := s.pn.DialConn(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("DialContext(tcp): %v", err)
	}
	defer sc.Close()
	if isPacketConn(sc) {
		t.Errorf("miekg/dns would take the %T from DialContext(tcp) for a datagram socket", sc)
	}
	if _, ok := sc.(io.ReaderFrom); !ok {
		t.Errorf("the %T from DialContext(tcp) is not an io.ReaderFrom", sc)
	}
}
