package downstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

// model is what a downstream library takes from a model: its Listener,
// its PacketConn and its DialContext function, as net.Listener,
// net.PacketConn and func returning net.Conn.
type model struct {
	name         string
	listen       func(network, address string) (net.Listener, error)
	listenPacket func(network, address string) (net.PacketConn, error)
	dialContext  func(ctx context.Context, network, address string) (net.Conn, error)
}

func (m model) isNet() bool { return m.name == "net" }

// as turns a model's constructor, which returns its own type, into one
// that returns net's interface I (a nil *T must not become a non-nil
// interface).
func as[I any, T any](f func(network, address string) (T, error)) func(string, string) (I, error) {
	return func(network, address string) (I, error) {
		v, err := f(network, address)
		if err != nil {
			var zero I
			return zero, err
		}
		return any(v).(I), nil
	}
}

// lis and pkt are as for a Listener and a PacketConn.
func lis[T net.Listener](f func(network, address string) (T, error)) func(string, string) (net.Listener, error) {
	return as[net.Listener](f)
}

func pkt[T net.PacketConn](f func(network, address string) (T, error)) func(string, string) (net.PacketConn, error) {
	return as[net.PacketConn](f)
}

// grpcClient is a grpc-go client of the server at address that dials
// with m's DialContext.
func grpcClient(t *testing.T, m model, address string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return m.dialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatalf("%s: grpc.NewClient: %v", m.name, err)
	}
	return cc
}

// models are package net, the control, then the five models in Stevens'
// order.
var models = []model{
	{"net", net.Listen, net.ListenPacket, (&net.Dialer{}).DialContext},
	{"blocking", lis(blocking.Listen), pkt(blocking.ListenPacket), blocking.DialContext},
	{"nonblock", lis(func(n, a string) (*nonblock.Listener, error) { return nonblock.Listen(n, a) }),
		pkt(func(n, a string) (*nonblock.PacketConn, error) { return nonblock.ListenPacket(n, a) }), nonblock.DialContext},
	{"multiplex", lis(func(n, a string) (*multiplex.Listener, error) { return multiplex.Listen(n, a) }),
		pkt(func(n, a string) (*multiplex.PacketConn, error) { return multiplex.ListenPacket(n, a) }), multiplex.DialContext},
	{"sigdriven", lis(func(n, a string) (*sigdriven.Listener, error) { return sigdriven.Listen(n, a) }),
		pkt(func(n, a string) (*sigdriven.PacketConn, error) { return sigdriven.ListenPacket(n, a) }), sigdriven.DialContext},
	{"async", lis(func(n, a string) (*async.Listener, error) { return async.Listen(n, a) }),
		pkt(func(n, a string) (*async.PacketConn, error) { return async.ListenPacket(n, a) }), async.DialContext},
}

// forEachModel runs f on every model in a subtest named for it. A model
// the kernel cannot run here (io_uring forbidden, say) skips with the
// reason its constructor gives; nothing else skips.
func forEachModel(t *testing.T, f func(t *testing.T, m model)) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			p, err := m.listenPacket("udp", "127.0.0.1:0")
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skipf("%s cannot run here: %v", m.name, err)
			}
			if err != nil {
				t.Fatalf("%s: ListenPacket: %v", m.name, err)
			}
			p.Close()
			f(t, m)
		})
	}
}

// stepTimeout bounds every step of every test: nothing here takes more
// than a fraction of it on a loaded 2-CPU machine.
const stepTimeout = 20 * time.Second

// step runs f and fails the test, naming the model and the step, if f
// fails or has not returned within stepTimeout (the goroutine left behind
// is stuck in a library or a model; the failure says which).
func step(t *testing.T, m model, name string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %s: %v", m.name, name, err)
		}
	case <-time.After(stepTimeout):
		t.Fatalf("%s: %s hung for %v", m.name, name, stepTimeout)
	}
}

// serve runs a server's blocking Serve-like call in a goroutine and
// returns a function that waits (bounded) for it to return and checks
// its error with ok.
func serve(t *testing.T, m model, name string, run func() error, ok func(error) bool) (wait func()) {
	done := make(chan error, 1)
	go func() { done <- run() }()
	return func() {
		t.Helper()
		select {
		case err := <-done:
			if !ok(err) {
				t.Errorf("%s: %s returned %v", m.name, name, err)
			}
		case <-time.After(stepTimeout):
			t.Errorf("%s: %s did not return for %v after its server stopped", m.name, name, stepTimeout)
		}
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
