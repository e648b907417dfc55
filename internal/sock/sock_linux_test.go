package sock

import (
	"net"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		network, address string
		passive          bool
		family, sotype   int
		addr             unix.Sockaddr
	}{
		{"tcp", "127.0.0.1:80", false, unix.AF_INET, unix.SOCK_STREAM, &unix.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}},
		{"tcp", ":80", false, unix.AF_INET, unix.SOCK_STREAM, &unix.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}},
		{"tcp", ":80", true, unix.AF_INET6, unix.SOCK_STREAM, &unix.SockaddrInet6{Port: 80}},
		{"tcp4", ":80", true, unix.AF_INET, unix.SOCK_STREAM, &unix.SockaddrInet4{Port: 80}},
		{"tcp6", ":80", false, unix.AF_INET6, unix.SOCK_STREAM, &unix.SockaddrInet6{Port: 80, Addr: [16]byte{15: 1}}},
		{"udp4", "127.0.0.1:53", false, unix.AF_INET, unix.SOCK_DGRAM, &unix.SockaddrInet4{Port: 53, Addr: [4]byte{127, 0, 0, 1}}},
		{"tcp6", "[::1]:80", false, unix.AF_INET6, unix.SOCK_STREAM, &unix.SockaddrInet6{Port: 80, Addr: [16]byte{15: 1}}},
		{"unixpacket", "/tmp/x", false, unix.AF_UNIX, unix.SOCK_SEQPACKET, &unix.SockaddrUnix{Name: "/tmp/x"}},
	} {
		got, err := Resolve(c.network, c.address, c.passive)
		if err != nil {
			t.Errorf("Resolve(%q, %q): %v", c.network, c.address, err)
			continue
		}
		want := Target{Network: c.network, Family: c.family, Type: c.sotype, Addr: c.addr}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(unix.SockaddrInet4{}, unix.SockaddrInet6{}, unix.SockaddrUnix{})); d != "" {
			t.Errorf("Resolve(%q, %q, passive=%v) (-want +got):\n%s", c.network, c.address, c.passive, d)
		}
	}
	for _, c := range []struct{ network, address string }{
		{"tcp4", "[::1]:80"}, {"tcp6", "127.0.0.1:80"}, {"ipx", "x"}, {"unix", ""}, {"tcp", "nonsense"},
	} {
		if _, err := Resolve(c.network, c.address, false); err == nil {
			t.Errorf("Resolve(%q, %q) succeeded", c.network, c.address)
		}
	}
}

func TestAddr(t *testing.T) {
	if got := Addr(unix.SOCK_DGRAM, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{10, 0, 0, 1}}); got.String() != "10.0.0.1:9" || got.Network() != "udp" {
		t.Errorf("udp addr = %v (%s)", got, got.Network())
	}
	if got := Addr(unix.SOCK_STREAM, &unix.SockaddrInet6{Port: 80, Addr: [16]byte{15: 1}}); got.String() != "[::1]:80" || got.Network() != "tcp" {
		t.Errorf("tcp6 addr = %v", got)
	}
	if got, ok := Addr(unix.SOCK_SEQPACKET, &unix.SockaddrUnix{Name: "/s"}).(*net.UnixAddr); !ok || got.Net != "unixpacket" {
		t.Errorf("unixpacket addr = %#v", got)
	}
	if got := Addr(unix.SOCK_STREAM, nil); got != nil {
		t.Errorf("Addr(nil) = %v", got)
	}
}

// TestListenDualStack: Listen("tcp", ":0") accepts IPv4 and IPv6 clients
// on one port, as net.Listen does.
func TestListenDualStack(t *testing.T) {
	tg, err := Resolve("tcp", ":0", true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(tg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	sa, _ := unix.Getsockname(l)
	var port int
	switch a := sa.(type) {
	case *unix.SockaddrInet6:
		port = a.Port
	case *unix.SockaddrInet4:
		t.Skip("no IPv6 here: Listen fell back to IPv4")
	}
	for _, addr := range []string{"127.0.0.1", "::1"} {
		c, err := net.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			if addr == "::1" {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatalf("dialing %s: %v", addr, err)
		}
		c.Close()
	}
}
