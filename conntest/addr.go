package conntest

import (
	"net"
	"testing"
)

// addrs is what a net.Conn has of addresses.
type addrs interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

func addressed(t *testing.T, c any) addrs {
	t.Helper()
	a, ok := c.(addrs)
	if !ok {
		t.Skipf("%T has no LocalAddr/RemoteAddr", c)
	}
	return a
}

// sameAddr reports whether two addresses say the same (both nil, or the
// same network and text).
func sameAddr(a, b net.Addr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Network() == b.Network() && a.String() == b.String()
}

// testAddrsAfterClose: Close does not take the addresses away, as it does
// not in package net: a caller that logs c.RemoteAddr().String() after
// Close must not crash. The addresses are not asked for before Close, so
// they cannot come from a cache filled while the socket was open.
func testAddrsAfterClose(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	a, b := addressed(t, p.A), addressed(t, p.B)
	if err := p.A.Close(); err != nil {
		t.Fatal(err)
	}
	if la, rb := a.LocalAddr(), b.RemoteAddr(); !sameAddr(la, rb) {
		t.Errorf("after A's Close, A.LocalAddr() = %v, but B.RemoteAddr() = %v", la, rb)
	}
	if ra, lb := a.RemoteAddr(), b.LocalAddr(); !sameAddr(ra, lb) {
		t.Errorf("after A's Close, A.RemoteAddr() = %v, but B.LocalAddr() = %v", ra, lb)
	}
	if b.LocalAddr() != nil && a.LocalAddr() == nil {
		t.Errorf("after Close, LocalAddr() is nil on a socket")
	}
}

// testAddrsAfterPeerReset: a connection whose peer has reset it still
// knows whom it was connected to (getpeername(2) fails by then with
// ENOTCONN, so the address must have been recorded when it was connected).
func testAddrsAfterPeerReset(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	a, b := addressed(t, p.A), addressed(t, p.B)
	want := b.LocalAddr()
	if want == nil {
		t.Skipf("%T is not a socket here: it has no address", p.B)
	}
	if _, err := p.A.Send([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	if err := p.B.Close(); err != nil { // with unread data: a reset
		t.Fatal(err)
	}
	if _, err := p.A.Recv(make([]byte, 8)); err == nil {
		t.Fatal("Recv after the peer's reset succeeded")
	}
	if got := a.RemoteAddr(); !sameAddr(got, want) {
		t.Errorf("after the peer's reset, RemoteAddr() = %v; want %v", got, want)
	}
}
