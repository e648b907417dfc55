package loop

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAcceptTCPDefaults: a connection the Listener accepts has net's
// defaults, checked beside one net's own listener accepts.
func TestAcceptTCPDefaults(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l, err := DupListener("test", ln)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	options := func(fd int) [3]int {
		var got [3]int
		for i, o := range [][2]int{{unix.IPPROTO_TCP, unix.TCP_NODELAY}, {unix.SOL_SOCKET, unix.SO_KEEPALIVE}, {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}} {
			v, err := unix.GetsockoptInt(fd, o[0], o[1])
			if err != nil {
				t.Fatal(err)
			}
			got[i] = v
		}
		return got
	}

	// net's, as the control.
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var want [3]int
	rc, _ := nc.(*net.TCPConn).SyscallConn()
	rc.Control(func(fd uintptr) { want = options(int(fd)) })

	c2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fd, local, remote, err := l.Accept()
		if err == unix.EAGAIN && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if got := options(fd); got != want {
			t.Errorf("TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE: %v, net's %v", got, want)
		}
		if local.String() != c2.RemoteAddr().String() || remote.String() != c2.LocalAddr().String() {
			t.Errorf("addresses %v %v, want %v %v", local, remote, c2.RemoteAddr(), c2.LocalAddr())
		}
		return
	}
}
