package conntest

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/iomodel/iomodel"
)

// Network is a model's Dial and Listen, for RunNetwork.
type Network struct {
	Dial   func(network, address string) (iomodel.Conn, error)
	Listen func(network, address string) (net.Listener, error)
	// DialContext, if not nil, dials with the settings of d (its
	// Timeout, Deadline, LocalAddr, KeepAlive, KeepAliveConfig, Control
	// and ControlContext) through the model's Dialer, for the checks of
	// net's dialing semantics.
	DialContext func(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error)
	// ListenContext, if not nil, listens with the settings of lc (Control,
	// KeepAlive, KeepAliveConfig) through the model's ListenConfig.
	ListenContext func(ctx context.Context, lc *net.ListenConfig, network, address string) (net.Listener, error)
}

// RunNetwork checks a model's Dial and Listen: an echo exchange over each
// stream network, a Listener whose Close unblocks Accept and removes its
// Unix socket file, and the errors of bad input (a refused connection, an
// unknown network, a malformed address, an address in use).
func RunNetwork(t *testing.T, nw Network) {
	for _, c := range []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
		{"unix", ""},
		{"unixpacket", ""},
	} {
		t.Run("Echo/"+c.network, func(t *testing.T) {
			watch(t, "Echo", func() { testEcho(t, nw, c.network, c.address) })
		})
	}
	t.Run("DialUDP", func(t *testing.T) { watch(t, "DialUDP", func() { testDialUDP(t, nw) }) })
	t.Run("CloseUnblocksAccept", func(t *testing.T) { watch(t, "CloseUnblocksAccept", func() { testCloseAccept(t, nw) }) })
	t.Run("BadInput", func(t *testing.T) { watch(t, "BadInput", func() { testNetworkErrors(t, nw) }) })
	runListenerCases(t, nw)
	runNetParity(t, nw)
}

func testEcho(t *testing.T, nw Network, network, address string) {
	if network == "unix" || network == "unixpacket" {
		address = filepath.Join(t.TempDir(), "s")
	}
	l, err := nw.Listen(network, address)
	if err != nil {
		if network == "tcp6" && errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatalf("Listen(%q, %q): %v", network, address, err)
	}
	defer l.Close()
	if l.Addr() == nil {
		t.Fatal("Listener.Addr() is nil")
	}
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		if c.RemoteAddr() == nil && network != "unix" && network != "unixpacket" {
			done <- errors.New("accepted Conn has no RemoteAddr")
			return
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err == nil {
			_, err = c.Write(buf[:n])
		}
		done <- err
	}()
	c, err := nw.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatalf("Dial(%q, %q): %v", network, l.Addr(), err)
	}
	defer c.Close()
	if nc, ok := c.(net.Conn); ok && nc.RemoteAddr().String() != l.Addr().String() {
		t.Errorf("RemoteAddr = %v, want the listener's %v", nc.RemoteAddr(), l.Addr())
	}
	if _, err := c.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := recvExact(c, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}
	if _, err := c.Recv(make([]byte, 1)); err != io.EOF {
		t.Errorf("Recv after the server closed: %v, want io.EOF", err)
	}
	if network == "unix" || network == "unixpacket" {
		l.Close()
		if _, err := os.Stat(address); !os.IsNotExist(err) {
			t.Errorf("socket file %s still there after the listener closed (stat: %v)", address, err)
		}
	}
}

func testDialUDP(t *testing.T, nw Network) {
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c, err := nw.Dial("udp", peer.LocalAddr().String())
	if err != nil {
		t.Fatalf("Dial udp: %v", err)
	}
	defer c.Close()
	if _, err := c.Send([]byte("datagram")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "datagram" {
		t.Errorf("the peer got %q, %v; want \"datagram\"", buf[:n], err)
	}
}

func testCloseAccept(t *testing.T, nw Network) {
	l, err := nw.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		errc <- err
	}()
	awaitPending(nil, true, 0)
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wantClosed(t, "Accept pending when the listener closed", <-errc)
	wantClosed(t, "second Close of a listener", l.Close())
}

func testNetworkErrors(t *testing.T, nw Network) {
	// A port nobody listens on: bind one, then close it.
	l, err := nw.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	// The port is in use while l is open.
	if l2, err := nw.Listen("tcp", addr); err == nil {
		l2.Close()
		t.Errorf("Listen on %s, already in use, succeeded", addr)
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen on a port in use: %v, want EADDRINUSE", err)
	}
	l.Close()
	if c, err := nw.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("Dial to %s, where nobody listens, succeeded", addr)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Dial to a closed port: %v, want ECONNREFUSED", err)
	}
	for _, c := range []struct{ network, address string }{
		{"carrier-pigeon", "127.0.0.1:1"},
		{"tcp", "no-port-here"},
		{"tcp", "127.0.0.1:99999"},
		{"tcp4", "[::1]:80"},
		{"unix", ""},
	} {
		if conn, err := nw.Dial(c.network, c.address); err == nil {
			conn.Close()
			t.Errorf("Dial(%q, %q) succeeded", c.network, c.address)
		} else if err.Error() == "" {
			t.Errorf("Dial(%q, %q) gave an empty error", c.network, c.address)
		} else {
			t.Logf("Dial(%q, %q): %v", c.network, c.address, err)
		}
	}
	if l, err := nw.Listen("udp", "127.0.0.1:0"); err == nil {
		l.Close()
		t.Errorf("Listen on udp succeeded; only stream networks accept connections")
	}
}

// RunNew checks a model's New on descriptors it must refuse: a negative
// number and a closed descriptor. Each gets an error that names the
// descriptor, and no descriptor is left open that was not open before.
// (Only additions count: a descriptor another goroutine of the test binary
// closes meanwhile is none of New's doing.)
func RunNew(t *testing.T, newConn func(fd int) (iomodel.Conn, error)) {
	before := takeFDs(t)
	if c, err := newConn(-1); err == nil {
		c.Close()
		t.Errorf("New(-1) succeeded")
	} else {
		t.Logf("New(-1): %v", err)
	}
	closed, err := closedFD()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := newConn(closed); err == nil {
		c.Close()
		t.Errorf("New on closed fd %d succeeded", closed)
	} else if !errors.Is(err, syscall.EBADF) {
		t.Errorf("New on a closed fd: %v, want an error wrapping EBADF", err)
	}
	before.wantNoneAdded(t, "refused New calls")
}

func itoa(n int) string { return strconv.Itoa(n) }
