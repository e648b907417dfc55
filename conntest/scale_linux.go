package conntest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/selfexec"
)

// The child process: which test it runs as the clients, where to connect,
// how many idle connections. It answers on stdout with lines that start
// with scaleTag, and takes one command a line on stdin.
const (
	scaleChildEnv = "IOMODEL_CONNTEST_SCALE_CHILD"
	scaleAddrEnv  = "IOMODEL_CONNTEST_SCALE_ADDR"
	scaleNEnv     = "IOMODEL_CONNTEST_SCALE_N"
	scaleTag      = "conntest-scale: "
)

// Bounds of RunScale's steps: one round trip, one datagram, a step of the
// child's (beyond the time its connecting takes, scaleReady).
const (
	scaleRoundTrip = 10 * time.Second
	scaleStep      = 30 * time.Second
	scaleActive    = 4  // connections accepted while the idle ones wait
	scaleRounds    = 50 // round trips on each of them
	scaleDatagrams = 30
	scaleSample    = 20 // idle connections sampled again
)

func runScale(t *testing.T, pn PacketNetwork, idle int) {
	if os.Getenv(scaleChildEnv) == t.Name() {
		scaleClients(t)
		return
	}
	hard, err := raiseNoFile()
	if err != nil {
		t.Fatal(err)
	}
	n := scaleCount(t, idle, hard)
	raiseMaxThreads(2*n + 1000)

	s := startScaleServer(t, pn)
	defer s.stop(t)
	child := startScaleChild(t, s.l.Addr().String(), n)
	defer child.stop(t)

	// Connecting: each idle connection's round trip needs its Accept and
	// its first Recvs served while the others already wait.
	start := time.Now()
	child.do(t, "", "connect "+strconv.Itoa(n)+" idle connections, one round trip each", scaleStep+time.Duration(n)*4*time.Millisecond)
	s.waitAccepted(t, n)
	t.Logf("%d idle connections, each with a Recv waiting on the server, in %v", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	active := s.active(t, "while they wait")
	t.Logf("%d new connections, %d round trips each, in %v", scaleActive, scaleRounds, time.Since(start).Round(time.Millisecond))
	defer func() {
		for _, c := range active {
			c.Close()
		}
	}()
	s.datagrams(t)
	child.do(t, "sample", fmt.Sprintf("%d idle connections sampled again", scaleSample), scaleStep)
	s.checkAccept(t)

	// At the descriptor limit: Accept fails at once, the rest goes on.
	lim := lowerNoFile(t)
	lowered := true
	defer func() {
		if lowered {
			restoreNoFile(t, lim)
		}
	}()
	child.do(t, "dial", "one more connection, left in the listen queue", scaleStep)
	select {
	case err := <-s.acceptErr:
		if !errors.Is(err, syscall.EMFILE) {
			t.Fatalf("Accept at RLIMIT_NOFILE: %v, want EMFILE", err)
		}
	case <-time.After(scaleStep):
		t.Fatalf("Accept at RLIMIT_NOFILE: no EMFILE within %v", scaleStep)
	}
	for i, c := range active {
		if err := roundTrip(c, 1000+i); err != nil {
			t.Fatalf("at RLIMIT_NOFILE, active connection %d: %v", i, err)
		}
	}
	child.do(t, "sample", "idle connections sampled at RLIMIT_NOFILE", scaleStep)
	restoreNoFile(t, lim)
	lowered = false
	s.resume <- struct{}{}
	child.do(t, "extra", "the connection left waiting, once the limit is back", scaleStep)
	s.checkAccept(t)
}

// scaleCount is the number of idle connections: ScaleEnv's, or idle (0:
// DefaultScale), at most three quarters of the descriptor limit hard, since
// the server holds one descriptor per connection and needs some to spare.
func scaleCount(t *testing.T, idle int, hard uint64) int {
	n := idle
	if n <= 0 {
		n = DefaultScale
	}
	most := int(min(hard, 1<<24) * 3 / 4)
	switch v := os.Getenv(ScaleEnv); v {
	case "":
	case "max":
		n = most
	default:
		k, err := strconv.Atoi(v)
		if err != nil || k <= 0 {
			t.Fatalf("%s=%q: want a positive count of connections or \"max\"", ScaleEnv, v)
		}
		n = k
	}
	if n > most {
		t.Logf("%d idle connections asked for; RLIMIT_NOFILE's hard limit %d allows %d", n, hard, most)
		n = most
	}
	return n
}

// raiseMaxThreads raises Go's thread limit (debug.SetMaxThreads) to n if
// it is lower, for models that park a thread per waiting call. It stays
// raised: the runtime keeps the threads it made, and a limit below their
// number is fatal.
func raiseMaxThreads(n int) {
	if old := debug.SetMaxThreads(n); old > n {
		debug.SetMaxThreads(old)
	}
}

// raiseNoFile raises RLIMIT_NOFILE's soft limit to the hard one and
// returns it.
func raiseNoFile() (uint64, error) {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
			return 0, fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d): %w", l.Max, err)
		}
	}
	return l.Max, nil
}

// lowerNoFile sets RLIMIT_NOFILE's soft limit to the lowest descriptor
// number free, so that the next descriptor the process opens fails with
// EMFILE, and returns the limit to restore.
func lowerNoFile(t *testing.T) unix.Rlimit {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	free, err := unix.Dup(0) // the lowest number free
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(free)
	low := unix.Rlimit{Cur: uint64(free), Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatalf("setrlimit(RLIMIT_NOFILE, %d): %v", free, err)
	}
	return old
}

func restoreNoFile(t *testing.T, l unix.Rlimit) {
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		t.Errorf("restoring RLIMIT_NOFILE: %v", err)
	}
}

// roundTrip sends 64 bytes that name i on c and reads them back.
func roundTrip(c net.Conn, i int) error {
	msg := []byte(fmt.Sprintf("%-64d", i))
	c.SetDeadline(time.Now().Add(scaleRoundTrip))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("round trip %d: write: %w", i, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("round trip %d: no echo: %w", i, err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("round trip %d: echo %q, want %q", i, got, msg)
	}
	return nil
}

// scaleServer is the model's side: the echo servers and the connections
// they accepted.
type scaleServer struct {
	l         net.Listener
	p         net.PacketConn
	accepted  atomic.Int64
	acceptErr chan error    // what Accept returned other than net.ErrClosed
	resume    chan struct{} // the accept loop goes on after an error
	quit      chan struct{}
	packetErr chan error
	mu        sync.Mutex
	conns     []net.Conn // guarded by mu
	wg        sync.WaitGroup
}

func startScaleServer(t *testing.T, pn PacketNetwork) *scaleServer {
	t.Helper()
	l, err := pn.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	p, err := pn.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		l.Close()
		t.Fatalf("ListenPacket: %v", err)
	}
	s := &scaleServer{l: l, p: p, acceptErr: make(chan error, 1), resume: make(chan struct{}),
		quit: make(chan struct{}), packetErr: make(chan error, 1)}
	s.wg.Go(s.acceptLoop)
	s.wg.Go(s.packetLoop)
	return s
}

func (s *scaleServer) acceptLoop() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.acceptErr <- err
			select {
			case <-s.resume:
				continue
			case <-s.quit:
				return
			}
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.accepted.Add(1)
		s.wg.Go(func() {
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		})
	}
}

// packetLoop echoes datagrams, reading them by ReadFrom, ReadMsgUDP and
// ReadBatch in turn (those the PacketConn has).
func (s *scaleServer) packetLoop() {
	buf := make([]byte, 2048)
	for i := 0; ; i++ {
		var n int
		var from net.Addr
		var err error
		m, msger := s.p.(udpMsger)
		b, batches := s.p.(batcher)
		switch {
		case i%3 == 1 && msger:
			n, _, _, from, err = m.ReadMsgUDP(buf, nil)
		case i%3 == 2 && batches:
			ms := []iomodel.Message{{Buffers: [][]byte{buf}}}
			if _, err = b.ReadBatch(ms, 0); err == nil {
				n, from = ms[0].N, ms[0].Addr
			}
		default:
			n, from, err = s.p.ReadFrom(buf)
		}
		if err == nil {
			_, err = s.p.WriteTo(buf[:n], from)
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.packetErr <- err
			}
			return
		}
	}
}

// checkAccept fails t if Accept has returned an error.
func (s *scaleServer) checkAccept(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.acceptErr:
		t.Fatalf("Accept: %v", err)
	default:
	}
}

func (s *scaleServer) waitAccepted(t *testing.T, n int) {
	t.Helper()
	end := time.Now().Add(scaleStep)
	for s.accepted.Load() < int64(n) {
		s.checkAccept(t)
		if time.Now().After(end) {
			t.Fatalf("%d of %d connections accepted after %v", s.accepted.Load(), n, scaleStep)
		}
		time.Sleep(time.Millisecond) // polling a count, bounded above
	}
}

// active connects new clients, which the server must accept, and makes
// round trips on each at once; the connections stay open.
func (s *scaleServer) active(t *testing.T, when string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, scaleActive)
	errs := make(chan error, scaleActive)
	var wg sync.WaitGroup
	for i := range conns {
		c, err := net.DialTimeout("tcp", s.l.Addr().String(), scaleRoundTrip)
		if err != nil {
			t.Fatalf("active connection %d %s: %v", i, when, err)
		}
		conns[i] = c
		wg.Go(func() {
			for j := range scaleRounds {
				if err := roundTrip(c, i*scaleRounds+j); err != nil {
					errs <- fmt.Errorf("active connection %d %s (never accepted, or its Recv starved): %w", i, when, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		for _, c := range conns {
			c.Close()
		}
		t.Fatal(err)
	}
	return conns
}

// datagrams sends datagrams one at a time to the datagram echo and reads
// each one back.
func (s *scaleServer) datagrams(t *testing.T) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 128)
	for i := range scaleDatagrams {
		msg := []byte(fmt.Sprintf("datagram %d", i))
		if _, err := c.WriteTo(msg, s.p.LocalAddr()); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		c.SetReadDeadline(time.Now().Add(scaleRoundTrip))
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			select {
			case perr := <-s.packetErr:
				t.Fatalf("datagram %d: the server's read or write failed: %v", i, perr)
			default:
			}
			t.Fatalf("datagram %d: no echo (its ReadFrom, ReadMsgUDP or ReadBatch starved): %v", i, err)
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Fatalf("datagram %d: echo %q, want %q", i, buf[:n], msg)
		}
	}
}

// stop closes the servers and every connection accepted, and waits for
// their goroutines.
func (s *scaleServer) stop(t *testing.T) {
	close(s.quit)
	s.l.Close()
	s.p.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if !waitWithin(&s.wg, scaleStep) {
		t.Errorf("the server's goroutines still running %v after Close", scaleStep)
	}
}

// scaleChild is the child process holding the clients.
type scaleChild struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string // its tagged lines
	out   *lockedBuffer
	exit  chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) add(line string) {
	b.mu.Lock()
	b.b.WriteString(line + "\n")
	b.mu.Unlock()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startScaleChild(t *testing.T, addr string, n int) *scaleChild {
	t.Helper()
	cmd, err := selfexec.Command("-test.run="+testPattern(t.Name()), "-test.count=1", "-test.v", "-test.timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), scaleChildEnv+"="+t.Name(), scaleAddrEnv+"="+addr, scaleNEnv+"="+strconv.Itoa(n))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the clients' process: %v", err)
	}
	c := &scaleChild{cmd: cmd, in: in, lines: make(chan string, 16), out: new(lockedBuffer), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			c.out.add(line)
			if rest, ok := strings.CutPrefix(line, scaleTag); ok {
				c.lines <- rest
			}
		}
		close(c.lines)
		c.exit <- cmd.Wait()
	}()
	return c
}

// do sends cmd to the child (none: wait for its first answer) and waits at
// most d for its answer, failing t with what if it does not say "ok".
func (c *scaleChild) do(t *testing.T, cmd, what string, d time.Duration) {
	t.Helper()
	if cmd != "" {
		if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
			t.Fatalf("%s: telling the clients: %v\n%s", what, err, c.out)
		}
	}
	select {
	case line, ok := <-c.lines:
		switch {
		case !ok:
			t.Fatalf("%s: the clients' process ended:\n%s", what, c.out)
		case line != "ok":
			t.Fatalf("%s: %s", what, line)
		}
	case <-time.After(d):
		t.Fatalf("%s: no answer within %v", what, d)
	}
}

// stop ends the child: closing its stdin closes its connections.
func (c *scaleChild) stop(t *testing.T) {
	c.in.Close()
	select {
	case err := <-c.exit:
		if err != nil && !t.Failed() {
			t.Errorf("the clients' process: %v\n%s", err, c.out)
		}
	case <-time.After(scaleStep):
		c.cmd.Process.Kill()
		<-c.exit
		t.Errorf("the clients' process still running %v after it was told to end: killed", scaleStep)
	}
}

// testPattern is a -test.run pattern that matches the test name alone.
func testPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// scaleClients is the child: it opens the idle connections, one round trip
// each, says so, and then does what the parent asks, one command a line,
// until its stdin closes.
func scaleClients(t *testing.T) {
	addr := os.Getenv(scaleAddrEnv)
	n, err := strconv.Atoi(os.Getenv(scaleNEnv))
	if err != nil {
		t.Fatalf("%s: %v", scaleNEnv, err)
	}
	if _, err := raiseNoFile(); err != nil {
		t.Fatal(err)
	}
	say := func(format string, args ...any) { fmt.Printf(scaleTag+format+"\n", args...) }
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var next atomic.Int64
	var failed atomic.Bool
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c, err := net.DialTimeout("tcp", addr, scaleRoundTrip)
				if err == nil {
					conns[i] = c
					err = roundTrip(c, i)
				}
				if err != nil {
					failed.Store(true)
					errs <- fmt.Errorf("idle connection %d of %d: %w", i, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		say("%v", err)
		return
	}
	say("ok")

	var extra net.Conn
	defer func() {
		if extra != nil {
			extra.Close()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var err error
		switch in.Text() {
		case "sample":
			for k := range scaleSample {
				i := k * (n - 1) / max(scaleSample-1, 1)
				if err = roundTrip(conns[i], i); err != nil {
					err = fmt.Errorf("idle connection %d of %d: %w", i, n, err)
					break
				}
			}
		case "dial":
			extra, err = net.DialTimeout("tcp", addr, scaleRoundTrip)
		case "extra":
			err = roundTrip(extra, -1)
		default:
			err = fmt.Errorf("unknown command %q", in.Text())
		}
		if err != nil {
			say("%v", err)
			continue
		}
		say("ok")
	}
}
