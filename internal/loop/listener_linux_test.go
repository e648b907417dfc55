package loop

import (
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestAcceptTCPDefaults: a connection the Listener accepts has net's
// defaults, checked beside one net's own listener accepts.
func TestAcceptTCPDefaults(t *testing.T) {
	ln, l := dupListener(t)
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
	modeltest.Dial(t, ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var want [3]int
	rc, _ := nc.(*net.TCPConn).SyscallConn()
	rc.Control(func(fd uintptr) { want = options(int(fd)) })

	c2 := modeltest.Dial(t, ln.Addr().String())
	waitQueued(t, l)
	fd, local, remote, err := l.Accept()
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
	// Accepted, for a connection taken off the queue otherwise (the async
	// engine's multishot ACCEPT), gives the same.
	c3 := modeltest.Dial(t, ln.Addr().String())
	waitQueued(t, l)
	fd3, _, err := unix.Accept4(l.Fd(), unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd3)
	local, remote = l.Accepted(fd3)
	if got := options(fd3); got != want {
		t.Errorf("Accepted: TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE: %v, net's %v", got, want)
	}
	if local.String() != c3.RemoteAddr().String() || remote.String() != c3.LocalAddr().String() {
		t.Errorf("Accepted: addresses %v %v, want %v %v", local, remote, c3.RemoteAddr(), c3.LocalAddr())
	}
}

// dupListener listens on loopback TCP with package net and returns that
// listener and a Listener on its own duplicate of its descriptor; both
// close when the test ends.
func dupListener(t *testing.T) (net.Listener, *Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	l, err := DupListener("test", ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return ln, l
}

// waitQueued waits, with poll(2), until a connection waits in l's accept
// queue, for at most modeltest.Step.
func waitQueued(t *testing.T, l *Listener) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(l.Fd()), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(modeltest.Step/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("poll on the listener: %v", err)
		}
		if n == 0 {
			t.Fatalf("no connection in the accept queue within %v", modeltest.Step)
		}
		return
	}
}

// TestAcceptOutOfDescriptors: out of descriptors, Accept sheds the
// connection into its spare and counts it; with no spare left it says so
// (ErrNoDescriptors) instead of leaving the caller to spin.
func TestAcceptOutOfDescriptors(t *testing.T) {
	ln, l := dupListener(t)
	var counters Counters
	l.counters = &counters
	c1 := modeltest.Dial(t, ln.Addr().String())
	modeltest.Dial(t, ln.Addr().String())

	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	// Just above the highest descriptor open, so the spare's number is
	// one a new descriptor may take.
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	highest := 0
	for _, n := range names {
		if fd, err := strconv.Atoi(n.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	low := lim
	low.Cur = uint64(highest + 8)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	modeltest.FillDescriptors(t, 0)
	// With its spare: the connection is taken off the queue and closed.
	if _, _, _, err := l.Accept(); err != unix.EAGAIN {
		t.Fatalf("Accept with a spare, out of descriptors: %v; want both connections shed, then EAGAIN", err)
	}
	if n := counters.Rejected.Load(); n != 2 {
		t.Fatalf("%d connections shed into the spare, want 2", n)
	}
	c1.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c1.Read(make([]byte, 1)); err == nil {
		t.Errorf("the shed connection is still open")
	}
	// Without (nothing waits, but accept4 cannot tell before it has a
	// descriptor): Accept says so.
	unix.Close(l.reserve)
	l.reserve = -1
	defer unix.Close(openReserve()) // the number the spare had
	_, _, _, err = l.Accept()
	if !errors.Is(err, ErrNoDescriptors) || !errors.Is(err, unix.EMFILE) {
		t.Fatalf("Accept with no spare, out of descriptors: %v, want ErrNoDescriptors and EMFILE", err)
	}
}

// TestShedKeepsOnceDescriptorsAreFree: accept4 failed with EMFILE, but by
// the time the spare's place takes the waiting connection a descriptor
// has come free (the limit raised, others closed): the connection is the
// first since, and it is kept, as accept4 would now have kept it, not
// shed. Before, it was closed (conntest's OutOfDescriptors, 1 in 40 runs).
func TestShedKeepsOnceDescriptorsAreFree(t *testing.T) {
	ln, l := dupListener(t)
	var counters Counters
	l.counters = &counters
	c := modeltest.Dial(t, ln.Addr().String())
	waitQueued(t, l)
	// The EMFILE accept4 reported a moment ago, descriptors free now.
	fd, err := l.shed(unix.EMFILE)
	if err != nil || fd < 0 {
		t.Fatalf("shed with descriptors free again: %d, %v; want the connection kept", fd, err)
	}
	defer unix.Close(fd)
	if n := counters.Rejected.Load(); n != 0 {
		t.Errorf("Rejected %d, want 0", n)
	}
	if l.reserve < 0 {
		t.Errorf("no spare after shed")
	}
	if got, want := l.peerOf(fd, true).String(), c.LocalAddr().String(); got != want {
		t.Errorf("kept connection's peer %s, want %s", got, want)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(modeltest.Step)) // the socket blocks: bound the read
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if n, err := unix.Read(fd, b[:]); n != 1 || b[0] != 'x' {
		t.Fatalf("read on the kept connection: %d %q %v", n, b[:n], err)
	}
}
