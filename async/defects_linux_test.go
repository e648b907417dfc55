package async

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDeadlinesAfterClose: SetDeadline, SetReadDeadline, SetWriteDeadline
// and the Listener's SetDeadline after Close return an error wrapping
// net.ErrClosed, as package net's do.
func TestDeadlinesAfterClose(t *testing.T) {
	requireRing(t)
	a, _ := pair(t, unix.SOCK_STREAM)
	a.Close()
	for name, set := range map[string]func(time.Time) error{
		"SetDeadline": a.SetDeadline, "SetReadDeadline": a.SetReadDeadline, "SetWriteDeadline": a.SetWriteDeadline,
	} {
		if err := set(time.Now()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Conn.%s after Close: %v, want net.ErrClosed", name, err)
		}
	}
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listener.SetDeadline after Close: %v, want net.ErrClosed", err)
	}
}

// TestAddrsAfterResetAndClose: a connection whose peer reset it before it
// was accepted still has its peer's address (getpeername(2) no longer
// knows it; the ACCEPT's own result does), its errors name it, and every
// address stays after Close, the listener's too though it was never asked.
func TestAddrsAfterResetAndClose(t *testing.T) {
	requireRing(t)
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.fd.LocalAddr().String() // not through Addr: it is first asked after Close
	peer, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	want := peer.LocalAddr().String()
	peer.(*net.TCPConn).SetLinger(0) // close sends a reset
	peer.Close()                     // on loopback, the reset has landed when close(2) returns
	c, err := l.AcceptConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := unix.Getpeername(c.fd.Sysfd); err == nil {
		t.Fatal("getpeername still works on the accepted socket: the reset had not landed, and the test tests nothing")
	}
	if ra := c.RemoteAddr(); ra == nil || ra.String() != want {
		t.Fatalf("RemoteAddr of a connection reset before Accept = %v, want %s", ra, want)
	}
	_, err = c.Recv(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Recv on the reset connection: %v, want ECONNRESET", err)
	}
	if err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("Recv on the reset connection: %q does not name the peer %s", err, want)
	}
	c.Close()
	l.Close()
	if c.RemoteAddr() == nil || c.RemoteAddr().String() != want {
		t.Errorf("RemoteAddr after Close = %v, want %s", c.RemoteAddr(), want)
	}
	if c.LocalAddr() == nil || c.LocalAddr().String() != addr {
		t.Errorf("LocalAddr after Close = %v, want %s", c.LocalAddr(), addr)
	}
	if l.Addr() == nil || l.Addr().String() != addr {
		t.Errorf("Listener.Addr after Close = %v, want %s", l.Addr(), addr)
	}
}

// TestUnixPeerAddr: an accepted Unix connection names its peer as the
// other models do (x/sys/unix's reading of accept4(2)): by its path if it
// is bound, "@" if unnamed.
func TestUnixPeerAddr(t *testing.T) {
	requireRing(t)
	dir := t.TempDir()
	l, err := Listen("unix", dir+"/l")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, bind := range []string{"", dir + "/c"} {
		s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(s)
		if bind != "" {
			if err := unix.Bind(s, &unix.SockaddrUnix{Name: bind}); err != nil {
				t.Fatal(err)
			}
		}
		if err := unix.Connect(s, &unix.SockaddrUnix{Name: dir + "/l"}); err != nil {
			t.Fatal(err)
		}
		c, err := l.AcceptConn()
		if err != nil {
			t.Fatal(err)
		}
		want := bind
		if want == "" {
			want = "@"
		}
		if ra := c.RemoteAddr(); ra == nil || ra.String() != want || ra.Network() != "unix" {
			t.Errorf("peer bound to %q: RemoteAddr = %v, want unix %s", bind, ra, want)
		}
		c.Close()
	}
}
