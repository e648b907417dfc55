package downstream

import (
	"context"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

// The tests of this file are the README's "Where a model is not net":
// what a library does only on net's concrete types, and the way to get
// the same on a model.

// grpcServerUserTimeout is grpc-go's TCP_USER_TIMEOUT on a server's
// connections: keepalive's default Timeout, 20 s.
const grpcServerUserTimeout = 20 * time.Second

// userTimeoutControl sets TCP_USER_TIMEOUT before the socket listens.
func userTimeoutControl(d time.Duration) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d/time.Millisecond))
		}); err != nil {
			return err
		}
		return serr
	}
}

// controlListeners are each model's ListenConfig with Control, as a
// function; net's is the control, without it: grpc sets the option on
// net's connections itself.
var controlListeners = map[string]func(control func(string, string, syscall.RawConn) error) (net.Listener, error){
	"net": func(func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return net.Listen("tcp", "127.0.0.1:0")
	},
	"blocking": func(c func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return lisCtx((&blocking.ListenConfig{Control: c}).Listen)
	},
	"nonblock": func(c func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return lisCtx((&nonblock.ListenConfig{Control: c}).Listen)
	},
	"multiplex": func(c func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return lisCtx((&multiplex.ListenConfig{Control: c}).Listen)
	},
	"sigdriven": func(c func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return lisCtx((&sigdriven.ListenConfig{Control: c}).Listen)
	},
	"async": func(c func(string, string, syscall.RawConn) error) (net.Listener, error) {
		return lisCtx((&async.ListenConfig{Control: c}).Listen)
	},
}

// lisCtx listens on TCP loopback with a ListenConfig's Listen.
func lisCtx[T net.Listener](listen func(context.Context, string, string) (T, error)) (net.Listener, error) {
	l, err := listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return l, nil
}

// keptListener keeps the connections it accepts, to look at their
// options.
type keptListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *keptListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// TestGRPCUserTimeout: grpc-go's server sets TCP_USER_TIMEOUT (20 s) on
// net's connections only; on a model's, ListenConfig.Control sets it on
// the listener and the accepted connections inherit it, so both end with
// grpc's value.
func TestGRPCUserTimeout(t *testing.T) {
	forEachModel(t, func(t *testing.T, m model) {
		l0, err := controlListeners[m.name](userTimeoutControl(grpcServerUserTimeout))
		if err != nil {
			t.Fatalf("%s: Listen: %v", m.name, err)
		}
		l := &keptListener{Listener: l0}
		srv := grpc.NewServer()
		healthpb.RegisterHealthServer(srv, health.NewServer())
		served := serve(t, m, "Serve", func() error { return srv.Serve(l) }, func(err error) bool { return err == nil })
		defer served()
		defer srv.Stop()
		cc := grpcClient(t, m, l.Addr().String())
		defer cc.Close()
		step(t, m, "a Check call", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout/2)
			defer cancel()
			_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		})
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.conns) != 1 {
			t.Fatalf("%s: %d connections accepted, want 1", m.name, len(l.conns))
		}
		if _, isTCP := l.conns[0].(*net.TCPConn); isTCP != m.isNet() {
			t.Errorf("%s: the accepted %T is a *net.TCPConn: %v", m.name, l.conns[0], isTCP)
		}
		rc, err := l.conns[0].(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var ms int
		var serr error
		rc.Control(func(fd uintptr) { ms, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT) })
		if serr != nil || ms != int(grpcServerUserTimeout/time.Millisecond) {
			t.Errorf("%s: TCP_USER_TIMEOUT of the server's connection is %d ms, %v; want %d", m.name, ms, serr, grpcServerUserTimeout/time.Millisecond)
		}
	})
}

// TestDNSAnswersFromTheAddressAsked: a resolver takes a UDP answer only
// from the address it asked. net's server on the wildcard address
// answers a query to 127.0.0.2 from 127.0.0.2 (miekg/dns's IP_PKTINFO, on
// a *net.UDPConn only); a model's server does so when it listens on
// 127.0.0.2 itself, the README's way.
func TestDNSAnswersFromTheAddressAsked(t *testing.T) {
	forEachModel(t, func(t *testing.T, m model) {
		address := "127.0.0.2:0"
		if m.isNet() {
			address = "0.0.0.0:0"
		}
		pc, err := m.listenPacket("udp4", address)
		if err != nil {
			t.Fatalf("%s: ListenPacket(%s): %v", m.name, address, err)
		}
		defer startDNS(t, m, "UDP server", &dns.Server{PacketConn: pc})()
		_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
		step(t, m, "a query to 127.0.0.2", func() error {
			cl := &dns.Client{Net: "udp", Timeout: stepTimeout / 2}
			r, _, err := cl.Exchange(new(dns.Msg).SetQuestion("example.org.", dns.TypeA), net.JoinHostPort("127.0.0.2", port))
			if err != nil {
				return err
			}
			return checkAnswer(r)
		})
	})
}
