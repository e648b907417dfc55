package conntest

import (
	"net"
	"testing"
	"time"
)

// deadlineListener is what net.TCPListener and net.UnixListener have, and
// every model's Listener.
type deadlineListener interface {
	net.Listener
	SetDeadline(time.Time) error
}

// listenerCases are the Listener's part of the façade. RunNetwork runs each
// on package net's Listener first, as the control, then on the model's.
var listenerCases = []struct {
	name string
	run  func(t *testing.T, listen func(network, address string) (net.Listener, error))
}{
	{"ListenerAddrAfterClose", testListenerAddrAfterClose},
	{"ListenerDeadlinePast", testListenerDeadlinePast},
	{"ListenerDeadlineWhilePending", testListenerDeadlinePending},
	{"ListenerDeadlineAfterClose", testListenerDeadlineAfterClose},
	{"AcceptedAddrs", testAcceptedAddrs},
}

func runListenerCases(t *testing.T, nw Network) {
	for _, c := range listenerCases {
		t.Run(c.name, func(t *testing.T) {
			t.Run("net", func(t *testing.T) { watch(t, c.name, func() { c.run(t, net.Listen) }) })
			t.Run("model", func(t *testing.T) { watch(t, c.name, func() { c.run(t, nw.Listen) }) })
		})
	}
}

func listenTCP(t *testing.T, listen func(network, address string) (net.Listener, error)) deadlineListener {
	t.Helper()
	l, err := listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dl, ok := l.(deadlineListener)
	if !ok {
		t.Fatalf("%T has no SetDeadline, which net.TCPListener has", l)
	}
	return dl
}

// testListenerAddrAfterClose: Addr is not taken away by Close, even when it
// was never asked for before.
func testListenerAddrAfterClose(t *testing.T, listen func(string, string) (net.Listener, error)) {
	l := listenTCP(t, listen)
	l.Close()
	if a := l.Addr(); a == nil || a.String() == "" {
		t.Fatalf("Addr() after Close = %v; want the address it listened on", a)
	}
}

// testListenerDeadlinePast: a deadline in the past fails Accept at once,
// even with a connection waiting, and loses nothing.
func testListenerDeadlinePast(t *testing.T, listen func(string, string) (net.Listener, error)) {
	l := listenTCP(t, listen)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := l.SetDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = l.Accept()
	wantTimeout(t, "Accept past the deadline", err)
	if err := l.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	a, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept once the deadline was cleared: %v", err)
	}
	a.Close()
}

// testListenerDeadlinePending: a deadline set while Accept is pending
// applies to it.
func testListenerDeadlinePending(t *testing.T, listen func(string, string) (net.Listener, error)) {
	l := listenTCP(t, listen)
	errc := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		errc <- err
	}()
	awaitPending(nil, true, 0)
	if err := l.SetDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		wantTimeout(t, "Accept pending when its deadline was set", err)
	case <-time.After(10 * time.Second):
		l.Close()
		t.Fatalf("Accept still pending 10 s after its 50 ms deadline")
	}
}

// testListenerDeadlineAfterClose: SetDeadline on a closed Listener fails with
// an error wrapping net.ErrClosed.
func testListenerDeadlineAfterClose(t *testing.T, listen func(string, string) (net.Listener, error)) {
	l := listenTCP(t, listen)
	l.Close()
	wantClosed(t, "SetDeadline after Close", l.SetDeadline(time.Now().Add(time.Second)))
}

// testAcceptedAddrs: an accepted connection's addresses are the dialer's,
// swapped, and stay after Close.
func testAcceptedAddrs(t *testing.T, listen func(string, string) (net.Listener, error)) {
	l := listenTCP(t, listen)
	d, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if !sameAddr(a.RemoteAddr(), d.LocalAddr()) || !sameAddr(a.LocalAddr(), d.RemoteAddr()) {
		t.Errorf("accepted conn after Close: local %v remote %v; the dialer's: local %v remote %v",
			a.LocalAddr(), a.RemoteAddr(), d.LocalAddr(), d.RemoteAddr())
	}
}
