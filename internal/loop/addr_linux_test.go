package loop

import (
	"net"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAcceptAddrsLikeNet: the addresses Accept and Accepted give a
// connection are the ones net's own Accept gives (the same types, IP
// lengths, zones and names), on IPv4, IPv6, a dual-stack wildcard that an
// IPv4 client reaches, and Unix sockets named and unnamed; on a wildcard
// address, connections with the same local address share one net.Addr.
func TestAcceptAddrsLikeNet(t *testing.T) {
	unixPath := filepath.Join(t.TempDir(), "s")
	for _, tc := range []struct {
		name, network, listen, dialNet, dial string
		wildcard                             bool
	}{
		{"tcp4", "tcp4", "127.0.0.1:0", "tcp4", "", false},
		{"tcp6", "tcp6", "[::1]:0", "tcp6", "", false},
		{"wildcard-v4-client", "tcp", ":0", "tcp4", "127.0.0.1", true},
		{"wildcard-v6-client", "tcp", ":0", "tcp6", "::1", true},
		{"unix-unnamed-client", "unix", unixPath, "unix", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen(tc.network, tc.listen)
			if err != nil {
				t.Skipf("listen %s %s: %v (no such stack here)", tc.network, tc.listen, err)
			}
			defer ln.Close()
			l, err := DupListener("test", ln)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			addr := ln.Addr().String()
			if tc.dial != "" {
				addr = net.JoinHostPort(tc.dial, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
			}
			dial := func() net.Conn {
				c, err := net.DialTimeout(tc.dialNet, addr, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			// net's, as the control.
			dial()
			nc, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			// What net gives the connection from client c: its form,
			// with c's port.
			want := func(c net.Conn) [2]net.Addr {
				w := [2]net.Addr{nc.LocalAddr(), nc.RemoteAddr()}
				if ta, ok := w[1].(*net.TCPAddr); ok {
					r := *ta
					r.Port = c.LocalAddr().(*net.TCPAddr).Port
					w[1] = &r
				}
				return w
			}

			c := dial()
			fd, local, remote := acceptWithin(t, l)
			defer unix.Close(fd)
			if got, want := [2]net.Addr{local, remote}, want(c); !reflect.DeepEqual(got, want) {
				t.Errorf("Accept: local, remote %#v %#v; net's %#v %#v", got[0], got[1], want[0], want[1])
			}

			c = dial()
			fd2 := rawAcceptWithin(t, l)
			defer unix.Close(fd2)
			local2, remote2 := l.Accepted(fd2)
			if got, want := [2]net.Addr{local2, remote2}, want(c); !reflect.DeepEqual(got, want) {
				t.Errorf("Accepted: local, remote %#v %#v; net's %#v %#v", got[0], got[1], want[0], want[1])
			}
			if tc.wildcard && local2 != local {
				t.Errorf("two connections to %v on a wildcard listener: local addresses %p and %p, want one shared", local, local, local2)
			}
		})
	}
}

// acceptWithin is l.Accept, retried while nothing waits, for at most 10 s.
func acceptWithin(t *testing.T, l *Listener) (int, net.Addr, net.Addr) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fd, local, remote, err := l.Accept()
		if err == unix.EAGAIN && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		return fd, local, remote
	}
}

// rawAcceptWithin takes a connection off l's queue as the async engine's
// ACCEPT does, without the Listener, for at most 10 s.
func rawAcceptWithin(t *testing.T, l *Listener) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fd, _, err := unix.Accept4(l.Fd(), unix.SOCK_CLOEXEC)
		if (err == unix.EAGAIN || err == unix.EINTR) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("accept4: %v", err)
		}
		return fd
	}
}
