package loop

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/iomodel/iomodel"
)

// Driver is what is particular to a model's Engine: how its loops run,
// accept and stop. Engine calls it; Readiness is the readiness models'.
type Driver interface {
	// Start starts the loops (Config.Loops of them, or none for a model
	// that makes a goroutine per connection). The first Serve calls it,
	// once.
	Start() error
	// Listen starts accepting on l, which the driver owns from then on:
	// it closes l when it stops, and calls l.Fail if accepting on it
	// fails for good. Each accepted connection is counted
	// (Counters.Accepted, Counters.Open), made a Conn (Engine.NewConn),
	// and opened (Conn.Open) by its owner.
	Listen(l *Listener) error
	// Stop stops accepting (closing every Listener) and closes every
	// connection as Close does, flushing its output; the loops exit when
	// they have none left. With force, what is left closes at once,
	// dropping queued output. It may be called more than once, from any
	// goroutine, and returns at once.
	Stop(force bool)
	// Done is closed when every loop has exited and every connection has
	// been finished or detached.
	Done() <-chan struct{}
}

// Engine is the part of every model's Engine that is the same: the
// Handler and its configuration, the counters, Serve's listeners and
// Shutdown. A model's Engine wraps one and gives it its Driver.
type Engine struct {
	Model    string
	Handler  iomodel.Handler
	Drainer  iomodel.DrainHandler // the Handler's OnDrain, if it has one
	Config   iomodel.EngineConfig // with the defaults filled in
	Counters Counters
	// QueueWrites makes Write only queue (and kick the owner), never send
	// itself: for an owner that sends on its ring (async), where the
	// kernel does the send and a loop submits many in one system call.
	QueueWrites bool

	detach Detacher
	driver Driver

	mu      sync.Mutex
	started bool
	closed  bool
	quit    chan struct{} // closed by Shutdown
}

// NewEngine checks h and cfg for model's NewEngine (errors name the model,
// the function and the field) and returns an Engine without a Driver yet:
// the model's NewEngine gives it one with Drive. detach makes the model's
// Conn for EventConn.Detach.
func NewEngine(model string, h iomodel.Handler, cfg iomodel.EngineConfig, detach Detacher) (*Engine, error) {
	if h == nil {
		return nil, fmt.Errorf("%s.NewEngine: %w", model, ErrNilHandler)
	}
	cfg, err := Config(model, cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{Model: model, Handler: h, Config: cfg, detach: detach, quit: make(chan struct{})}
	e.Drainer, _ = h.(iomodel.DrainHandler)
	return e, nil
}

// Drive sets the Engine's Driver; call it once, before Serve.
func (e *Engine) Drive(d Driver) { e.driver = d }

// Serve is the model Engine's Serve: it takes its own duplicate of ln's
// socket, starts the loops on the first call, hands the listener to the
// Driver and returns ErrEngineClosed after Shutdown, or the error that
// stopped accepting on ln.
func (e *Engine) Serve(ln net.Listener) error {
	if ln == nil {
		return fmt.Errorf("%s.Serve: nil Listener", e.Model)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return iomodel.ErrEngineClosed
	}
	l, err := DupListener(e.Model, ln)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	l.counters = &e.Counters
	if !e.started {
		if err := e.driver.Start(); err != nil {
			e.mu.Unlock()
			l.Close()
			return fmt.Errorf("%s.Serve: %w", e.Model, err)
		}
		e.started = true
	}
	err = e.driver.Listen(l)
	e.mu.Unlock()
	if err != nil {
		l.Close()
		return fmt.Errorf("%s.Serve: %w", e.Model, err)
	}
	select {
	case <-e.quit:
		return iomodel.ErrEngineClosed
	case <-l.failed:
		select {
		case <-e.quit:
			return iomodel.ErrEngineClosed
		default:
		}
		return l.err
	}
}

// Shutdown is the model Engine's Shutdown: Serve returns ErrEngineClosed,
// the Driver stops accepting and closes every connection, flushing; when
// ctx ends first, what is left is closed at once and ctx's error returned
// once the loops have exited.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.quit)
	}
	started := e.started
	e.mu.Unlock()
	if !started {
		return nil
	}
	e.driver.Stop(false)
	select {
	case <-e.driver.Done():
		return nil
	case <-ctx.Done():
	}
	e.driver.Stop(true)
	<-e.driver.Done()
	return ctx.Err()
}

// Stats is the model Engine's Stats.
func (e *Engine) Stats() iomodel.EngineStats { return e.Counters.Snapshot() }
