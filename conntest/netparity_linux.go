package conntest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

// The net-parity checks: each runs on package net first, as the control,
// then on the model, and both must agree.
var netParityCases = []struct {
	name string
	run  func(t *testing.T, nw Network)
}{
	{"TCPDefaults", testTCPDefaults},
	{"TCPOptions", testTCPOptions},
	{"OptionOnWrongKind", testOptionWrongKind},
	{"SyscallConn", testSyscallConn},
	{"ListenerSyscallConnAndFile", testListenerRaw},
	{"UnlinkOnClose", testUnlinkOnClose},
	{"DialContextCanceled", testDialCanceled},
	{"DialTimeout", testDialTimeout},
	{"DialContextDone", testDialContextDone},
	{"DialControl", testDialControl},
	{"DialLocalAddr", testDialLocalAddr},
	{"DialEachAddress", testDialEachAddress},
	{"ListenReusePort", testReusePort},
}

func runNetParity(t *testing.T, nw Network) {
	for _, c := range netParityCases {
		t.Run(c.name, func(t *testing.T) {
			for _, side := range []struct {
				name string
				nw   Network
			}{{"net", netNetwork}, {"model", nw}} {
				t.Run(side.name, func(t *testing.T) { watch(t, c.name, func() { c.run(t, side.nw) }) })
			}
		})
	}
}

// netAdapter makes a net.Conn an iomodel.Conn; unwrap gives it back, with
// its own methods (SyscallConn, SetNoDelay).
type netAdapter struct{ net.Conn }

func (c netAdapter) Send(p []byte) (int, error) { return c.Write(p) }
func (c netAdapter) Recv(p []byte) (int, error) { return c.Read(p) }

func unwrap(c iomodel.Conn) any {
	if a, ok := c.(netAdapter); ok {
		return a.Conn
	}
	return c
}

// netNetwork is package net as a Network: the control.
var netNetwork = Network{
	Dial: func(n, a string) (iomodel.Conn, error) {
		c, err := net.Dial(n, a)
		if err != nil {
			return nil, err
		}
		return netAdapter{c}, nil
	},
	Listen: net.Listen,
	DialContext: func(ctx context.Context, d *net.Dialer, n, a string) (net.Conn, error) {
		return d.DialContext(ctx, n, a)
	},
	ListenContext: func(ctx context.Context, lc *net.ListenConfig, n, a string) (net.Listener, error) {
		return lc.Listen(ctx, n, a)
	},
}

func needDialer(t *testing.T, nw Network) {
	t.Helper()
	if nw.DialContext == nil || nw.ListenContext == nil {
		t.Skip("the Network has no DialContext or ListenContext")
	}
}

// tcpPairOf dials and accepts one TCP connection over loopback.
func tcpPairOf(t *testing.T, nw Network) (dialed, accepted net.Conn) {
	t.Helper()
	l, err := nw.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ac := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		ac <- c
	}()
	c, err := nw.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ac
	if a == nil {
		c.Close()
		t.Fatal("Accept failed")
	}
	nc, ok := unwrap(c).(net.Conn)
	if !ok {
		t.Fatalf("%T is not a net.Conn", c)
	}
	t.Cleanup(func() { nc.Close(); a.Close() })
	return nc, a
}

type syscaller interface {
	SyscallConn() (syscall.RawConn, error)
}

// rawOf is c's SyscallConn.
func rawOf(t *testing.T, c any) syscall.RawConn {
	t.Helper()
	sc, ok := c.(syscaller)
	if !ok {
		t.Fatalf("%T has no SyscallConn", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// sockopt reads an int socket option of c through its SyscallConn.
func sockopt(t *testing.T, c any, level, opt int) int {
	t.Helper()
	rc := rawOf(t, c)
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatalf("getsockopt(%d, %d): %v", level, opt, gerr)
	}
	return v
}

type tcpOptions interface {
	SetNoDelay(bool) error
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetKeepAliveConfig(net.KeepAliveConfig) error
	SetLinger(int) error
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
}

// testTCPDefaults: dialed and accepted TCP connections have TCP_NODELAY and
// keep-alive every 15 s, 9 probes, as net's do.
func testTCPDefaults(t *testing.T, nw Network) {
	d, a := tcpPairOf(t, nw)
	for name, c := range map[string]net.Conn{"dialed": d, "accepted": a} {
		for _, o := range []struct {
			name       string
			level, opt int
			want       int
		}{
			{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 15},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9},
		} {
			if got := sockopt(t, c, o.level, o.opt); got != o.want {
				t.Errorf("%s conn: %s = %d, want %d", name, o.name, got, o.want)
			}
		}
	}
}

// testTCPOptions: every option method of *net.TCPConn, read back.
func testTCPOptions(t *testing.T, nw Network) {
	d, _ := tcpPairOf(t, nw)
	o, ok := d.(tcpOptions)
	if !ok {
		t.Fatalf("%T lacks the option methods of *net.TCPConn", d)
	}
	check := func(what string, err error, level, opt, want int) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if got := sockopt(t, d, level, opt); got != want {
			t.Errorf("after %s, getsockopt = %d, want %d", what, got, want)
		}
	}
	check("SetNoDelay(false)", o.SetNoDelay(false), unix.IPPROTO_TCP, unix.TCP_NODELAY, 0)
	check("SetNoDelay(true)", o.SetNoDelay(true), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	check("SetKeepAlive(false)", o.SetKeepAlive(false), unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0)
	check("SetKeepAlivePeriod(1500ms)", o.SetKeepAlivePeriod(1500*time.Millisecond), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 2)
	check("SetKeepAlivePeriod(0)", o.SetKeepAlivePeriod(0), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15)
	cfg := net.KeepAliveConfig{Enable: true, Idle: 20 * time.Second, Interval: 5 * time.Second, Count: 3}
	err := o.SetKeepAliveConfig(cfg)
	check("SetKeepAliveConfig", err, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	check("SetKeepAliveConfig", err, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 20)
	check("SetKeepAliveConfig", err, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 5)
	check("SetKeepAliveConfig", err, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
	err = o.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1})
	check("SetKeepAliveConfig with negative fields", err, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
	// The kernel doubles a buffer size it is given (socket(7)).
	check("SetReadBuffer(64 KiB)", o.SetReadBuffer(64<<10), unix.SOL_SOCKET, unix.SO_RCVBUF, 128<<10)
	check("SetWriteBuffer(64 KiB)", o.SetWriteBuffer(64<<10), unix.SOL_SOCKET, unix.SO_SNDBUF, 128<<10)
	for _, sec := range []int{5, 0, -1} {
		if err := o.SetLinger(sec); err != nil {
			t.Fatalf("SetLinger(%d): %v", sec, err)
		}
		var l *unix.Linger
		rawOf(t, d).Control(func(fd uintptr) { l, err = unix.GetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER) })
		if err != nil {
			t.Fatal(err)
		}
		wantOn, wantSec := int32(1), int32(sec)
		if sec < 0 {
			wantOn, wantSec = 0, l.Linger
		}
		if l.Onoff != wantOn || l.Linger != wantSec {
			t.Errorf("after SetLinger(%d): SO_LINGER = %+v", sec, *l)
		}
	}
	d.Close()
	err = o.SetNoDelay(true)
	if !errors.Is(err, net.ErrClosed) {
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "set" {
			t.Errorf("SetNoDelay after Close: %s, want a *net.OpError \"set\"", describe(err))
		}
	}
}

// testOptionWrongKind: a TCP option on a Unix-domain socket fails with an
// error naming the option and the kind, and changes nothing. net's
// UnixConn has no SetNoDelay at all; what the models say must be clear.
func testOptionWrongKind(t *testing.T, nw Network) {
	l, err := nw.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	background(t, nil, func() {
		if c, err := l.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	})
	c, err := nw.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o, ok := unwrap(c).(tcpOptions)
	if !ok {
		t.Skipf("%T has no SetNoDelay: on a Unix socket, as net.UnixConn", unwrap(c))
	}
	err = o.SetNoDelay(true)
	if err == nil {
		t.Fatal("SetNoDelay on a Unix-domain socket succeeded")
	}
	msg := err.Error()
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(msg, "TCP_NODELAY") || !strings.Contains(msg, "unix") {
		t.Errorf("SetNoDelay on a Unix-domain socket: %q; want an error wrapping errors.ErrUnsupported that names TCP_NODELAY and the unix socket", msg)
	}
	if err := o.SetReadBuffer(32 << 10); err != nil {
		t.Errorf("SetReadBuffer on a Unix-domain socket: %v (net.UnixConn has it)", err)
	}
}

// testSyscallConn: RawConn.Read calls f until it is done, waiting for
// readability in between; Control sees the descriptor.
func testSyscallConn(t *testing.T, nw Network) {
	d, a := tcpPairOf(t, nw)
	rc := rawOf(t, d)
	var calls int
	var got []byte
	go func() {
		time.Sleep(50 * time.Millisecond) // let Read find nothing at first
		a.Write([]byte("raw"))
	}()
	err := rc.Read(func(fd uintptr) bool {
		calls++
		buf := make([]byte, 8)
		n, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			return false
		}
		got = buf[:max(n, 0)]
		return true
	})
	if err != nil || string(got) != "raw" {
		t.Fatalf("RawConn.Read: %q, %v; want \"raw\"", got, err)
	}
	if calls > 1000 {
		// The non-blocking model asks again under its Policy (some
		// hundreds of times in 50 ms); a loop that never waits, tens of
		// thousands.
		t.Errorf("RawConn.Read called f %d times in 50 ms for one message: it spins instead of waiting", calls)
	}
	if err := rc.Write(func(fd uintptr) bool {
		_, err := unix.Write(int(fd), []byte("back"))
		return err != unix.EAGAIN
	}); err != nil {
		t.Fatalf("RawConn.Write: %v", err)
	}
	buf := make([]byte, 8)
	if n, err := a.Read(buf); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	// A deadline ends a Read that f never completes.
	d.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	err = rc.Read(func(uintptr) bool { return false })
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("RawConn.Read past the deadline: %s, want os.ErrDeadlineExceeded", describe(err))
	}
	d.Close()
	if err := rc.Control(func(uintptr) {}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("RawConn.Control after Close: %s, want net.ErrClosed", describe(err))
	}
}

// testListenerRaw: a listener's SyscallConn and File reach the listening
// socket.
func testListenerRaw(t *testing.T, nw Network) {
	l, err := nw.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := sockopt(t, l, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); got != 1 {
		t.Errorf("SO_ACCEPTCONN through SyscallConn = %d", got)
	}
	fl, ok := l.(interface{ File() (*os.File, error) })
	if !ok {
		t.Fatalf("%T has no File", l)
	}
	f, err := fl.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := unix.GetsockoptInt(int(f.Fd()), unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil || v != 1 {
		t.Errorf("SO_ACCEPTCONN of File() = %d, %v", v, err)
	}
}

// testUnlinkOnClose: a Unix listener removes its file on Close, unless told
// not to.
func testUnlinkOnClose(t *testing.T, nw Network) {
	for _, unlink := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "s")
		l, err := nw.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		u, ok := l.(interface{ SetUnlinkOnClose(bool) })
		if !ok {
			l.Close()
			t.Fatalf("%T has no SetUnlinkOnClose", l)
		}
		u.SetUnlinkOnClose(unlink)
		l.Close()
		_, err = os.Stat(path)
		if exists := err == nil; exists == unlink {
			t.Errorf("SetUnlinkOnClose(%v): after Close the file exists = %v", unlink, exists)
		}
	}
}

// hangingListener is a loopback TCP address whose accept queue is full, so
// a connect to it hangs in SYN retries (tcp(7)): listen(2) with a backlog of
// 0 takes one connection, and the first dials fill it.
func hangingListener(t *testing.T) string {
	t.Helper()
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(s) })
	if err := unix.Bind(s, loopback); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(s, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(s)
	addr := net.JoinHostPort("127.0.0.1", itoa(sa.(*unix.SockaddrInet4).Port))
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr // the queue is full: this dial hung
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("could not fill a listen queue of 0 on loopback: connects never hang here")
	return ""
}

func wantDialError(t *testing.T, what string, err error, is error, start time.Time, within time.Duration) {
	t.Helper()
	if el := time.Since(start); el > within {
		t.Errorf("%s: returned after %v, want within %v", what, el, within)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Errorf("%s: %s, want a *net.OpError with Op \"dial\"", what, describe(err))
	}
	if !errors.Is(err, is) {
		t.Errorf("%s: %s, want errors.Is(err, %v)", what, describe(err), is)
	}
}

// testDialCanceled: cancelling the context ends a connect that hangs.
func testDialCanceled(t *testing.T, nw Network) {
	needDialer(t, nw)
	addr := hangingListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	c, err := nw.DialContext(ctx, &net.Dialer{}, "tcp", addr)
	if err == nil {
		c.Close()
		t.Fatal("dial to a full accept queue succeeded")
	}
	wantDialError(t, "DialContext cancelled after 100 ms", err, context.Canceled, start, 5*time.Second)
}

// testDialTimeout: Dialer.Timeout ends a connect that hangs, with an error
// that is a timeout: net's wraps os.ErrDeadlineExceeded (the connect's own
// deadline fires), or its context's DeadlineExceeded when that is first.
func testDialTimeout(t *testing.T, nw Network) {
	needDialer(t, nw)
	addr := hangingListener(t)
	start := time.Now()
	c, err := nw.DialContext(context.Background(), &net.Dialer{Timeout: 150 * time.Millisecond}, "tcp", addr)
	if err == nil {
		c.Close()
		t.Fatal("dial to a full accept queue succeeded")
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dialer{Timeout: 150ms}: %s, want os.ErrDeadlineExceeded or context.DeadlineExceeded", describe(err))
	}
	wantDialError(t, "Dialer{Timeout: 150ms}", err, err, start, 5*time.Second)
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("the timed-out dial's error %s is not a net.Error with Timeout() true", describe(err))
	}
}

// testDialContextDone: a context already cancelled fails at once; a nil
// context panics, as net's Dialer does.
func testDialContextDone(t *testing.T, nw Network) {
	needDialer(t, nw)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	c, err := nw.DialContext(ctx, &net.Dialer{}, "tcp", "127.0.0.1:1")
	if err == nil {
		c.Close()
		t.Fatal("a dial with a cancelled context succeeded")
	}
	wantDialError(t, "DialContext with a cancelled context", err, context.Canceled, start, time.Second)
	defer func() {
		if recover() == nil {
			t.Error("DialContext(nil, ...) did not panic, as net's does")
		}
	}()
	var nilCtx context.Context // a nil context is what this checks
	nw.DialContext(nilCtx, &net.Dialer{}, "tcp", "127.0.0.1:1")
}

// acceptAndClose listens on network and address through nw and closes
// every connection it accepts, until the test ends.
func acceptAndClose(t *testing.T, nw Network, network, address string) net.Listener {
	t.Helper()
	l, err := nw.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	background(t, func() { l.Close() }, func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	return l
}

// testDialControl: Control gets the raw socket before connect, named as net
// names it.
func testDialControl(t *testing.T, nw Network) {
	needDialer(t, nw)
	l := acceptAndClose(t, nw, "tcp", "127.0.0.1:0")
	var gotNet, gotAddr string
	var sotype int
	d := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		gotNet, gotAddr = network, address
		return c.Control(func(fd uintptr) { sotype, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TYPE) })
	}}
	c, err := nw.DialContext(context.Background(), d, "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if gotNet != "tcp4" || gotAddr != l.Addr().String() || sotype != unix.SOCK_STREAM {
		t.Errorf("Control got (%q, %q) and SO_TYPE %d; want (\"tcp4\", %q) and SOCK_STREAM", gotNet, gotAddr, sotype, l.Addr())
	}
	refuse := errors.New("refused by Control")
	d.Control = func(string, string, syscall.RawConn) error { return refuse }
	if c, err := nw.DialContext(context.Background(), d, "tcp", l.Addr().String()); !errors.Is(err, refuse) {
		if c != nil {
			c.Close()
		}
		t.Errorf("a Control that fails: %s, want its error", describe(err))
	}
}

// testDialLocalAddr: the connection comes from Dialer.LocalAddr.
func testDialLocalAddr(t *testing.T, nw Network) {
	needDialer(t, nw)
	l := acceptAndClose(t, nw, "tcp4", "127.0.0.1:0")
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	c, err := nw.DialContext(context.Background(), &net.Dialer{LocalAddr: local}, "tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if la, ok := c.LocalAddr().(*net.TCPAddr); !ok || !la.IP.Equal(local.IP) || la.Port == 0 {
		t.Errorf("LocalAddr() = %v, want 127.0.0.1 and a port", c.LocalAddr())
	}
}

// testDialEachAddress: a name with several addresses is dialed address by
// address: "localhost" may resolve to ::1 first, where nothing listens.
func testDialEachAddress(t *testing.T, nw Network) {
	needDialer(t, nw)
	l := acceptAndClose(t, nw, "tcp4", "127.0.0.1:0")
	port := itoa(l.Addr().(*net.TCPAddr).Port)
	c, err := nw.DialContext(context.Background(), &net.Dialer{}, "tcp", net.JoinHostPort("localhost", port))
	if err != nil {
		t.Fatalf("dialing localhost:%s with a listener on 127.0.0.1 only: %v", port, err)
	}
	c.Close()
}

// testReusePort: ListenConfig.Control can set SO_REUSEPORT, and two
// listeners then share one port (one per CPU, say); without it the second
// fails with EADDRINUSE.
func testReusePort(t *testing.T, nw Network) {
	needDialer(t, nw)
	lc := &net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }); err != nil {
			return err
		}
		return serr
	}}
	l1, err := nw.ListenContext(context.Background(), lc, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := nw.ListenContext(context.Background(), lc, "tcp", l1.Addr().String())
	if err != nil {
		t.Fatalf("a second SO_REUSEPORT listener on %v: %v", l1.Addr(), err)
	}
	defer l2.Close()
	if l3, err := nw.ListenContext(context.Background(), &net.ListenConfig{}, "tcp", l1.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		if l3 != nil {
			l3.Close()
		}
		t.Errorf("a third listener without SO_REUSEPORT: %s, want EADDRINUSE", describe(err))
	}
	if c, err := nw.Dial("tcp", l1.Addr().String()); err != nil {
		t.Errorf("dialing the shared port: %v", err)
	} else {
		c.Close()
	}
}
