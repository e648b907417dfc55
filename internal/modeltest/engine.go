package modeltest

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
)

// Step bounds each wait of these helpers: Shutdown, Serve's return after
// it, an OnOpen or OnClose a test waits for.
const Step = 10 * time.Second

// ClientDeadline is the deadline Dial sets on a client: two steps, for a
// busy engine on a machine shared with other tests.
const ClientDeadline = 2 * Step

// Of is a model's NewEngine, with opts bound, as conntest.NewEngine:
// Of(multiplex.NewEngine, multiplex.WithLevelTriggered()).
func Of[E conntest.Engine, O any](newEngine func(iomodel.Handler, iomodel.EngineConfig, ...O) (E, error), opts ...O) conntest.NewEngine {
	return func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
		e, err := newEngine(h, cfg, opts...)
		if err != nil {
			return nil, err // not a nil *Engine inside a non-nil interface
		}
		return e, nil
	}
}

// BenchEcho runs conntest.BenchEngineEcho on engines made by ne with 1
// and with 100 clients, as the sub-benchmarks conns=1 and conns=100.
func BenchEcho(b *testing.B, ne conntest.NewEngine) {
	for _, n := range []int{1, 100} {
		b.Run("conns="+strconv.Itoa(n), func(b *testing.B) { conntest.BenchEngineEcho(b, ne, n) })
	}
}

// Echo is a Handler that writes back what it receives. When Opened is not
// nil, OnOpen sends it each connection; when Closed is not nil, OnClose
// sends it each error it is called with. The loop waits for the test to
// take them, so give the channels room for every connection.
type Echo struct {
	Opened chan iomodel.EventConn
	Closed chan error
}

// OnOpen reports c on Opened.
func (h Echo) OnOpen(c iomodel.EventConn) {
	if h.Opened != nil {
		h.Opened <- c
	}
}

// OnData writes data back; a Write that fails (the peer gone) shows in
// OnClose.
func (Echo) OnData(c iomodel.EventConn, data []byte) int {
	c.Write(data)
	return len(data)
}

// OnClose reports err on Closed.
func (h Echo) OnClose(_ iomodel.EventConn, err error) {
	if h.Closed != nil {
		h.Closed <- err
	}
}

// Server is an Engine serving on a loopback TCP listener of package net.
type Server struct {
	Listener net.Listener
	engine   conntest.Engine
	served   chan error
	shut     bool
}

// Serve starts e on a new loopback TCP listener; the test's cleanup shuts
// e down (Shutdown) unless the test did, and closes the listener.
func Serve(t testing.TB, e conntest.Engine) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Listener: ln, engine: e, served: make(chan error, 1)}
	go func() { s.served <- e.Serve(ln) }()
	t.Cleanup(func() {
		s.Shutdown(t)
		ln.Close()
	})
	return s
}

// Addr is the address the clients dial.
func (s *Server) Addr() string { return s.Listener.Addr().String() }

// Dial connects a client of package net to s; see the function Dial.
func (s *Server) Dial(t testing.TB) net.Conn {
	t.Helper()
	return Dial(t, s.Addr())
}

// Shutdown shuts the engine down, failing t unless Shutdown returns nil
// within Step and Serve then returns iomodel.ErrEngineClosed within Step.
// The listener stays open until the test ends. Calls after the first do
// nothing.
func (s *Server) Shutdown(t testing.TB) {
	t.Helper()
	if s.shut {
		return
	}
	s.shut = true
	ctx, cancel := context.WithTimeout(context.Background(), Step)
	defer cancel()
	if err := s.engine.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case err := <-s.served:
		if err != iomodel.ErrEngineClosed {
			t.Errorf("Serve returned %v after Shutdown, want iomodel.ErrEngineClosed", err)
		}
	case <-time.After(Step):
		t.Errorf("Serve did not return within %v of Shutdown", Step)
	}
}

// Dial connects a client of package net to the TCP address addr, with
// ClientDeadline set on it; the test's cleanup closes it.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, Step)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ClientDeadline))
	return c
}
