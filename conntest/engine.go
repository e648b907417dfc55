package conntest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// Engine is what RunEngine checks: a model's Engine, the loop shape (see
// iomodel.Handler).
type Engine interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
	Stats() iomodel.EngineStats
}

// NewEngine makes an Engine for one subtest: a model's NewEngine with the
// model's options bound.
type NewEngine func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error)

// RunEngine runs the loop shape's conformance suite on engines made by ne,
// one subtest per behaviour (the list is engineCases): the callbacks'
// order, byte-exact streams under random chunking with partial
// consumption, writes from other goroutines, Close from either side at
// any moment, a slow reader (bounded queue, ErrBackpressure, paused
// reading, OnDrain), idle timeout, read deadline, peer reset, running out
// of descriptors at accept, shutdown with connections open, detach
// mid-stream (to io.Copy and to crypto/tls), and bad input. The clients are
// package net's. Every subtest shuts its engine down and checks that no
// descriptor was left open; run goleak in TestMain for the goroutines.
func RunEngine(t *testing.T, ne NewEngine) {
	for _, tc := range engineCases {
		t.Run(tc.name, func(t *testing.T) {
			before := takeFDs(t)
			// Registered first, so it runs after every other cleanup
			// (the engine's Shutdown, the clients' Close).
			t.Cleanup(func() {
				if !t.Failed() {
					before.wantNoneAdded(t, tc.name)
				}
			})
			watch(t, tc.name, func() { tc.run(t, ne) })
		})
	}
}

// step bounds every wait of the engine suite; a wait that runs out fails
// with the step's name.
const step = 10 * time.Second

// handler is a Handler made of functions; a nil one does nothing (OnData:
// consumes everything). It checks, for every connection, what every
// engine owes: OnOpen first and once, OnClose last and once, no callback
// at the same time as another for the same connection.
type handler struct {
	open  func(c iomodel.EventConn)
	data  func(c iomodel.EventConn, p []byte) int
	close func(c iomodel.EventConn, err error)
	drain func(c iomodel.EventConn)

	mu     sync.Mutex
	conns  map[iomodel.EventConn]*connLog
	errs   []string
	closed chan closeRecord // every OnClose, in order
}

type connLog struct {
	opened, closedDone bool
	busy               atomic.Bool
	datas              int
}

type closeRecord struct {
	c   iomodel.EventConn
	err error
}

func newHandler() *handler {
	return &handler{conns: map[iomodel.EventConn]*connLog{}, closed: make(chan closeRecord, 1024)}
}

func (h *handler) fail(format string, args ...any) {
	h.mu.Lock()
	h.errs = append(h.errs, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

// enter checks the order of a callback of kind on c.
func (h *handler) enter(c iomodel.EventConn, kind string) *connLog {
	h.mu.Lock()
	l := h.conns[c]
	if l == nil {
		l = &connLog{}
		h.conns[c] = l
	}
	switch {
	case kind == "OnOpen" && l.opened:
		h.errs = append(h.errs, "OnOpen called twice")
	case kind != "OnOpen" && !l.opened:
		h.errs = append(h.errs, kind+" before OnOpen")
	case l.closedDone:
		h.errs = append(h.errs, kind+" after OnClose")
	}
	switch kind {
	case "OnOpen":
		l.opened = true
	case "OnClose":
		l.closedDone = true
	case "OnData":
		l.datas++
	}
	h.mu.Unlock()
	if !l.busy.CompareAndSwap(false, true) {
		h.fail("%s while another callback ran for the same connection", kind)
	}
	return l
}

func (h *handler) OnOpen(c iomodel.EventConn) {
	l := h.enter(c, "OnOpen")
	defer l.busy.Store(false)
	if h.open != nil {
		h.open(c)
	}
}

func (h *handler) OnData(c iomodel.EventConn, p []byte) int {
	l := h.enter(c, "OnData")
	defer l.busy.Store(false)
	if len(p) == 0 {
		h.fail("OnData with no bytes")
	}
	if h.data != nil {
		return h.data(c, p)
	}
	return len(p)
}

func (h *handler) OnClose(c iomodel.EventConn, err error) {
	l := h.enter(c, "OnClose")
	defer l.busy.Store(false)
	if h.close != nil {
		h.close(c, err)
	}
	h.closed <- closeRecord{c, err}
}

func (h *handler) OnDrain(c iomodel.EventConn) {
	l := h.enter(c, "OnDrain")
	defer l.busy.Store(false)
	if h.drain != nil {
		h.drain(c)
	}
}

// check fails t with what the handler saw go wrong.
func (h *handler) check(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.errs {
		t.Error(e)
	}
}

// waitClose waits for the next OnClose.
func (h *handler) waitClose(t *testing.T, what string) closeRecord {
	t.Helper()
	select {
	case r := <-h.closed:
		return r
	case <-time.After(step):
		t.Fatalf("%s: no OnClose within %v", what, step)
	}
	return closeRecord{}
}

// echo makes h echo what it gets.
func (h *handler) echo() *handler {
	h.data = func(c iomodel.EventConn, p []byte) int {
		if _, err := c.Write(p); err != nil {
			h.fail("echo: Write: %v", err)
		}
		return len(p)
	}
	return h
}

// served is an Engine serving on a loopback TCP listener of package net.
type served struct {
	t     *testing.T
	e     Engine
	h     *handler
	ln    net.Listener
	serve chan error
	once  sync.Once
}

// serve starts an engine made by ne for h with cfg; the subtest's
// cleanup shuts it down (within step) and checks the callbacks.
func serve(t *testing.T, ne NewEngine, h *handler, cfg iomodel.EngineConfig) *served {
	t.Helper()
	return serveOn(t, ne, h, cfg, "tcp", "127.0.0.1:0")
}

func serveOn(t *testing.T, ne NewEngine, h *handler, cfg iomodel.EngineConfig, network, address string) *served {
	t.Helper()
	e, err := ne(h, cfg)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	s := &served{t: t, e: e, h: h, ln: ln, serve: make(chan error, 1)}
	go func() { s.serve <- e.Serve(ln) }()
	t.Cleanup(func() {
		s.shutdown(step)
		h.check(t)
	})
	return s
}

// shutdown shuts the engine down within d and checks Serve's answer.
func (s *served) shutdown(d time.Duration) error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		err = s.e.Shutdown(ctx)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			s.t.Errorf("Shutdown: %v", err)
		}
		select {
		case serr := <-s.serve:
			if serr != iomodel.ErrEngineClosed {
				s.t.Errorf("Serve returned %v after Shutdown, want iomodel.ErrEngineClosed", serr)
			}
		case <-time.After(step):
			s.t.Errorf("Serve did not return within %v of Shutdown", step)
		}
		s.ln.Close()
	})
	return err
}

// dial connects a client of package net, with every call bounded by step.
func (s *served) dial() net.Conn {
	s.t.Helper()
	c, err := net.DialTimeout(s.ln.Addr().Network(), s.ln.Addr().String(), step)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(step))
	s.t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond until it holds; what names it when it never does.
// It is for conditions only the engine's counters can tell (no event
// marks them), and it is bounded by step.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(step)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, step)
		}
		time.Sleep(time.Millisecond)
	}
}

// goroutines tracks the goroutines a handler starts, so a subtest can wait
// for them (a WaitGroup's Add inside a callback would race with the
// subtest's Wait as far as the race detector can tell).
type goroutines struct {
	mu   sync.Mutex
	done []chan struct{}
}

func (g *goroutines) Go(f func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.done = append(g.done, ch)
	g.mu.Unlock()
	go func() {
		defer close(ch)
		f()
	}()
}

// Wait waits for every goroutine started so far, for at most step.
func (g *goroutines) Wait(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	done := g.done
	g.mu.Unlock()
	timeout := time.After(step)
	for _, ch := range done {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("a handler's goroutine did not end within %v", step)
		}
	}
}
