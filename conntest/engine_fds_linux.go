package conntest

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"golang.org/x/sys/unix"
)

// testEngineOutOfDescriptors: with every descriptor of the process taken,
// a connection that arrives is taken off the listen queue and closed
// (EngineStats.Rejected) rather than left there for the loop to spin on;
// once descriptors are free again, the engine accepts as before.
func testEngineOutOfDescriptors(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	first := s.dial()
	first.Write([]byte("a"))
	readN(t, first, 1, "echo before")

	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Fill the table up to a limit a little above what is open, keeping
	// one for the client's socket.
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(len(fds) + 64)
	if low.Cur > lim.Cur {
		t.Skipf("RLIMIT_NOFILE %d is too low to lower", lim.Cur)
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fill []int
	defer func() {
		for _, fd := range fill {
			unix.Close(fd)
		}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			t.Errorf("restoring RLIMIT_NOFILE: %v", err)
		}
	}()
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fill = append(fill, fd)
	}
	unix.Close(fill[len(fill)-1])
	fill = fill[:len(fill)-1]
	before := s.e.Stats()
	c, err := net.DialTimeout("tcp", s.ln.Addr().String(), step)
	if err != nil {
		t.Fatalf("dial with one descriptor left: %v", err)
	}
	defer c.Close()
	var b [1]byte
	if n, err := c.Read(b[:]); err == nil {
		t.Fatalf("the connection accepted with no descriptor left answered %d bytes", n)
	} else if err != io.EOF && !isReset(err) {
		t.Fatalf("the connection accepted with no descriptor left: %v, want EOF or a reset", err)
	}
	after := s.e.Stats()
	if after.Rejected <= before.Rejected {
		t.Errorf("EngineStats.Rejected %d, want more than %d", after.Rejected, before.Rejected)
	}
	if w := after.Wakeups - before.Wakeups; w > 1000 {
		t.Errorf("%d wake-ups while out of descriptors: the loop spins", w)
	}
	for _, fd := range fill {
		unix.Close(fd)
	}
	fill = nil
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// An accept the engine had already asked of the kernel while the limit
	// was low (async's ACCEPT request) may still refuse the next
	// connection; within a few tries the engine must accept as before.
	for try := 1; ; try++ {
		again := s.dial()
		again.Write([]byte("b"))
		again.SetReadDeadline(time.Now().Add(step))
		var b [1]byte
		_, err := io.ReadFull(again, b[:])
		again.Close()
		if err == nil && b[0] == 'b' {
			break
		}
		if err == nil || (err != io.EOF && !isReset(err)) || try == 3 {
			t.Fatalf("echo after descriptors were freed, try %d: %q, %v", try, b[:], err)
		}
		t.Logf("try %d after descriptors were freed: %v (refused by an accept asked while the limit was low)", try, err)
	}
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// smallBuffers makes the connections ln accepts from now on, and those the
// returned Dialer makes, have 4 KiB socket buffers (SO_SNDBUF on the
// listener, inherited by what it accepts; SO_RCVBUF before connect), which
// the kernel then does not grow.
func smallBuffers(t *testing.T, ln net.Listener) *net.Dialer {
	t.Helper()
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096) }); err != nil || serr != nil {
		t.Fatalf("SO_SNDBUF on the listener: %v %v", err, serr)
	}
	return &net.Dialer{Timeout: step, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) }); err != nil {
			return err
		}
		return serr
	}}
}
