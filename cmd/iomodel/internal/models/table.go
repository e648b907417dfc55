//go:build linux

package models

import (
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

// table is every model the tool knows. Keep one entry per variant; Quick
// marks the one that stands for its family in the no-argument comparison.
var table = []Model{
	{
		Name: "blocking", Family: "blocking", Quick: true,
		Waits:  "each waiting call sleeps in read(2) and holds an OS thread",
		Serves: "one goroutine per client; each one blocked in read(2) holds an OS thread",
		Start: func() (*Instance, error) {
			return &Instance{
				New:       func(fd int) (Conn, error) { return conn(blocking.New(fd)) },
				Dial:      func(n, a string) (Conn, error) { return conn(blocking.Dial(n, a)) },
				Listen:    func(n, a string) (net.Listener, error) { return listener(blocking.Listen(n, a)) },
				Machinery: noMachinery,
				Close:     closeNothing,
			}, nil
		},
		Engine: func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
			return engine(blocking.NewEngine(h, cfg))
		},
	},
	{
		Name: "nonblock", Family: "nonblock", Quick: true,
		Waits:  "a call that gets EAGAIN spins, yields, then one poller asks every waiting fd in turn",
		Serves: "one goroutine polls the listener and every client with TryAccept, TryRecv and TrySend, and sleeps a little longer each time none had anything",
		Start: func() (*Instance, error) {
			return &Instance{
				New:    func(fd int) (Conn, error) { return conn(nonblock.New(fd)) },
				Dial:   func(n, a string) (Conn, error) { return conn(nonblock.Dial(n, a)) },
				Listen: func(n, a string) (net.Listener, error) { return listener(nonblock.Listen(n, a)) },
				TryAccept: func(ln net.Listener) (TryConn, error) {
					c, err := ln.(*nonblock.Listener).TryAccept()
					if err != nil {
						return nil, err
					}
					return c, nil
				},
				Machinery: noMachinery,
				Close:     closeNothing,
			}, nil
		},
		Engine: func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
			return engine(nonblock.NewEngine(h, cfg))
		},
	},
	multiplexModel(multiplex.Epoll, true),
	multiplexModel(multiplex.Poll, false),
	multiplexModel(multiplex.Select, false),
	sigdrivenModel("precise", true, "one real-time signal per readiness event names the fd; a dispatcher thread wakes exactly that call", func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
		return engine(sigdriven.NewEngine(h, cfg))
	}),
	// The engine has no broadcast mode: this variant has no loop shape.
	sigdrivenModel("broadcast", false, "every plain SIGIO wakes every waiting call, which retries (the thundering herd)", nil, sigdriven.WithBroadcast()),
	{
		Name: "async", Family: "async", Quick: true,
		Waits:  "the kernel does the copy; one ring thread submits and reaps for every call in one io_uring_enter",
		Serves: "one goroutine per client; their receives and sends are io_uring operations on one ring, whose thread waits for all completions",
		Start: func() (*Instance, error) {
			// A ring of its own, so that its counters are this
			// Instance's. The size is given: NewRing(0) makes a
			// submission queue of only 8 entries (its size/8, at least
			// 8), on which many Conns closing at once hang (reported).
			r, err := async.NewRing(8192)
			if err != nil {
				return nil, err
			}
			opt := async.WithRing(r)
			return &Instance{
				New:    func(fd int) (Conn, error) { return conn(async.New(fd, opt)) },
				Dial:   func(n, a string) (Conn, error) { return conn(async.Dial(n, a, opt)) },
				Listen: func(n, a string) (net.Listener, error) { return listener(async.Listen(n, a, opt)) },
				// The Conns' requests cost no system call of their own: the
				// ring's thread enters the kernel for all of them, and a
				// caller writes its eventfd when the thread must wake. Their
				// speculative send(2) and recv(2) calls are their own.
				Machinery: func() uint64 {
					s := r.Stats()
					return s.Enters + s.Wakeups
				},
				Handed: func() uint64 { return r.Stats().Ops },
				Close:  r.Close,
			}, nil
		},
		Engine: func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
			return engine(async.NewEngine(h, cfg))
		},
	},
	{
		Name: "net", Family: "net", Quick: true,
		Waits:  "the Go runtime's netpoller: goroutines park, one epoll set serves all",
		Serves: "one goroutine per client on the standard library's net package",
		Start: func() (*Instance, error) {
			return &Instance{
				New: newNetConn,
				Dial: func(n, a string) (Conn, error) {
					c, err := net.Dial(n, a)
					if err != nil {
						return nil, err
					}
					return netConn{c}, nil
				},
				Listen: func(n, a string) (net.Listener, error) {
					l, err := net.Listen(n, a)
					if err != nil {
						return nil, err
					}
					return netListener{l}, nil
				},
				Close: closeNothing,
			}, nil
		},
	},
}

func multiplexModel(b multiplex.Backend, quick bool) Model {
	return Model{
		Name: "multiplex/" + b.String(), Family: "multiplex", Quick: quick,
		Waits:  "one poller thread waits in " + b.String() + " for every fd and wakes the ready calls",
		Serves: "one goroutine per client; they all wait on one " + b.String() + " poller thread",
		Start: func() (*Instance, error) {
			p, err := multiplex.NewPoller(multiplex.WithBackend(b))
			if err != nil {
				return nil, err
			}
			opt := multiplex.WithPoller(p)
			return &Instance{
				New:    func(fd int) (Conn, error) { return conn(multiplex.New(fd, opt)) },
				Dial:   func(n, a string) (Conn, error) { return conn(multiplex.Dial(n, a, opt)) },
				Listen: func(n, a string) (net.Listener, error) { return listener(multiplex.Listen(n, a, opt)) },
				Machinery: func() uint64 {
					s := p.Stats()
					return s.Waits + s.Changes
				},
				Close: p.Close,
			}, nil
		},
		Engine: func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
			return engine(multiplex.NewEngine(h, cfg, multiplex.WithEngineBackend(b)))
		},
	}
}

func sigdrivenModel(mode string, quick bool, waits string, eng func(iomodel.Handler, iomodel.EngineConfig) (Engine, error), opts ...sigdriven.Option) Model {
	return Model{
		Engine: eng,
		Name:   "sigdriven/" + mode, Family: "sigdriven", Quick: quick,
		Waits:  waits,
		Serves: "one goroutine per client; the kernel signals readiness (" + mode + " mode) and the dispatcher wakes them",
		Start: func() (*Instance, error) {
			// The signal counters are the process's: count from here.
			start := sigdriven.Signals()
			return &Instance{
				New:    func(fd int) (Conn, error) { return conn(sigdriven.New(fd, opts...)) },
				Dial:   func(n, a string) (Conn, error) { return conn(sigdriven.Dial(n, a, opts...)) },
				Listen: func(n, a string) (net.Listener, error) { return listener(sigdriven.Listen(n, a, opts...)) },
				Machinery: func() uint64 {
					s := sigdriven.Signals()
					return s.Signals - start.Signals + s.Overflows - start.Overflows
				},
				Close: closeNothing,
			}, nil
		},
	}
}

// netConn is the baseline: the standard library's net.Conn, with Send and
// Recv.
type netConn struct{ net.Conn }

func (c netConn) Send(p []byte) (int, error) { return c.Write(p) }
func (c netConn) Recv(p []byte) (int, error) { return c.Read(p) }

type netListener struct{ net.Listener }

func (l netListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return netConn{c}, nil
}
