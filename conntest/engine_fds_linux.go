package conntest

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"golang.org/x/sys/unix"
)

// testEngineOutOfDescriptors: with every descriptor of the process taken,
// a connection that arrives is taken off the listen queue and closed
// (EngineStats.Rejected) rather than left there for the loop to spin on,
// and the loop waits without spinning; once descriptors are free again,
// the first connection that arrives is accepted. Package net is the
// control: its Accept fails with EMFILE meanwhile (the connection stays
// queued; unless it gets the descriptor an engine frees for a moment to
// shed), and an accept loop that retries, as net/http's does, serves the
// first connection after. The limit is lowered while the engine
// serves, as an operator's prlimit(1) would.
func testEngineOutOfDescriptors(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	ctl := listenNetEcho(t)
	first := s.dial()
	first.Write([]byte("a"))
	readN(t, first, 1, "echo before")
	// The control's connection waits in its queue, its Accept not called
	// until the process is out of descriptors.
	cn := ctl.dial(t)
	cn.Write([]byte("n"))

	raise := lowerLimit(t)
	free := fillTable(t)
	before := s.e.Stats()
	wantRefused(t, s, before)
	ctl.serve()
	select {
	case <-ctl.tried:
	case <-time.After(step):
		t.Fatalf("net's control: Accept did not return within %v", step)
	}
	wantNoSpin(t, s, before)
	free()
	raise()
	// The first connection after is accepted, by net's accept loop and by
	// the engine.
	readN(t, cn, 1, "net's control: echo of the connection queued while out of descriptors")
	again := ctl.dial(t)
	again.Write([]byte("m"))
	readN(t, again, 1, "net's control: echo after descriptors were freed")
	again = s.dial()
	again.Write([]byte("b"))
	readN(t, again, 1, "echo after descriptors were freed")
}

// testEngineOutOfDescriptorsAtTheLimit is OutOfDescriptors under the
// limit the engine started with, which is what its accept was armed with:
// a process that reaches its own limit. (async's ACCEPT takes a
// descriptor before it looks at the queue, so there it fails at once
// while the process is out, and armed again at once it spun.)
func testEngineOutOfDescriptorsAtTheLimit(t *testing.T, ne NewEngine) {
	lowerLimit(t)
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	first := s.dial()
	first.Write([]byte("a"))
	readN(t, first, 1, "echo before")

	free := fillTable(t)
	before := s.e.Stats()
	wantRefused(t, s, before)
	wantNoSpin(t, s, before)
	free()
	again := s.dial()
	again.Write([]byte("b"))
	readN(t, again, 1, "echo of the first connection once descriptors are free")
}

// lowerLimit lowers RLIMIT_NOFILE's soft limit to a little above the
// descriptors open (it skips t when the limit is lower already); the
// returned func restores it, and t's cleanup does if the test has not.
func lowerLimit(t *testing.T) (raise func()) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
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
	var once sync.Once
	raise = func() {
		once.Do(func() {
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
				t.Errorf("restoring RLIMIT_NOFILE: %v", err)
			}
		})
	}
	t.Cleanup(raise)
	return raise
}

// fillTable opens /dev/null until the limit refuses, then closes one
// again for a client's socket. The returned func closes the rest, and t's
// cleanup does if the test has not.
func fillTable(t *testing.T) (free func()) {
	t.Helper()
	var fill []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fill = append(fill, fd)
	}
	if len(fill) == 0 {
		t.Fatal("out of descriptors before the table was filled")
	}
	unix.Close(fill[len(fill)-1])
	fill = fill[:len(fill)-1]
	free = func() {
		for _, fd := range fill {
			unix.Close(fd)
		}
		fill = nil
	}
	t.Cleanup(free)
	return free
}

// wantRefused dials s with the process's last descriptor: the engine
// must take the connection off the queue and close it, counting it in
// Rejected (since before). The client stays open until t ends, so the
// process stays out of descriptors.
func wantRefused(t *testing.T, s *served, before iomodel.EngineStats) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.ln.Addr().String(), step)
	if err != nil {
		t.Fatalf("dial with one descriptor left: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(step))
	var b [1]byte
	if n, err := c.Read(b[:]); err == nil {
		t.Fatalf("the connection accepted with no descriptor left answered %d bytes", n)
	} else if err != io.EOF && !isReset(err) {
		t.Fatalf("the connection accepted with no descriptor left: %v, want EOF or a reset", err)
	}
	if after := s.e.Stats(); after.Rejected <= before.Rejected {
		t.Errorf("EngineStats.Rejected %d, want more than %d", after.Rejected, before.Rejected)
	}
}

// wantNoSpin counts s's wake-ups since before, still out of descriptors,
// over spinWindow more: a loop that waits wakes a few times, one that
// spins (async's ACCEPT armed again fails at once) hundreds. The sleep is
// the span counted, not a wait for an event.
func wantNoSpin(t *testing.T, s *served, before iomodel.EngineStats) {
	t.Helper()
	time.Sleep(spinWindow)
	if w := s.e.Stats().Wakeups - before.Wakeups; w > 50 {
		t.Errorf("%d wake-ups while out of descriptors (%v and the refusal): the loop spins", w, spinWindow)
	}
}

// spinWindow is how long testEngineOutOfDescriptors counts wake-ups while
// the process is out of descriptors.
const spinWindow = 20 * time.Millisecond

// netEcho is package net's echo server, the control of the engine cases
// that have one: a goroutine per connection, and an accept loop that backs
// off and retries on EMFILE, as net/http's Server does.
type netEcho struct {
	ln    net.Listener
	tried chan struct{} // closed once Accept has first returned
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	done  bool
}

// listenNetEcho makes a netEcho's listener; serve starts accepting. t's
// cleanup closes it and its connections and waits (bounded) for its
// goroutines.
func listenNetEcho(t *testing.T) *netEcho {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &netEcho{ln: ln, tried: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		n.mu.Lock()
		n.done = true
		for _, c := range n.conns {
			c.Close()
		}
		n.mu.Unlock()
		if !waitWithin(&n.wg, step) {
			t.Errorf("net's control: its goroutines did not end within %v of its Close", step)
		}
	})
	return n
}

// serve starts n's accept loop.
func (n *netEcho) serve() {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var backoff time.Duration
		tried := false
		for {
			c, err := n.ln.Accept()
			if !tried {
				tried = true
				close(n.tried)
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			if err != nil {
				return
			}
			backoff = 0
			n.mu.Lock()
			if n.done {
				n.mu.Unlock()
				c.Close()
				continue
			}
			n.conns = append(n.conns, c)
			n.wg.Add(1)
			n.mu.Unlock()
			go func() {
				defer n.wg.Done()
				// Not io.Copy(c, c): its splice keeps pipes in a pool,
				// which the suite's descriptor check counts.
				io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{c})
			}()
		}
	}()
}

// dial connects to n, with step as the connection's deadline; t's cleanup
// closes it.
func (n *netEcho) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", n.ln.Addr().String(), step)
	if err != nil {
		t.Fatalf("net's control: dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(step))
	t.Cleanup(func() { c.Close() })
	return c
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
