package async

import (
	"context"
	"fmt"
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// Engine is the asynchronous model in the loop shape (iomodel.Handler):
// loops that each own a ring, on which the kernel accepts, receives and
// sends, and which call the Handler when a completion is reaped. See the
// package doc, "The Engine".
type Engine struct {
	e *loop.Engine
}

// EngineOption is a knob of the async Engine's own.
type EngineOption func(*engineOptions)

type engineOptions struct {
	entries int  // SQ entries per loop's ring
	buffers int  // provided buffers per loop
	noMulti bool // the fallback: one-shot ACCEPT and POLL_ADD then recv(2)
}

// DefaultEngineRing and DefaultEngineBuffers are an Engine loop's
// submission queue entries and provided buffers when no option sets them.
const (
	DefaultEngineRing    = 1024
	DefaultEngineBuffers = 128
)

// WithEngineRing sets how many submission queue entries each loop's ring
// has (its completion queue has four times as many); a loop that prepares
// more at once submits them in several io_uring_enter calls. A power of
// two from 8 to 32768; 0 means DefaultEngineRing.
func WithEngineRing(entries int) EngineOption {
	return func(o *engineOptions) { o.entries = entries }
}

// WithEngineBuffers sets how many receive buffers (of
// EngineConfig.ReadBuffer bytes) each loop lends the kernel in its
// provided-buffer ring: the most receives the kernel can complete between
// two turns of the loop. When they run out, receiving stops until the loop
// hands them back, at the cost of arming it again. A power of two from 1
// to 32768; 0 means DefaultEngineBuffers.
func WithEngineBuffers(n int) EngineOption {
	return func(o *engineOptions) { o.buffers = n }
}

// NewEngine makes an Engine that calls h, configured by cfg (see
// iomodel.EngineConfig; zero fields are the defaults). It fails with an
// error naming the field for a bad cfg or option, and with one wrapping
// errors.ErrUnsupported, saying why, where io_uring is absent or forbidden.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	var o engineOptions
	for _, f := range opts {
		f(&o)
	}
	pow2 := func(name string, v, lo, def int) (int, error) {
		if v == 0 {
			return def, nil
		}
		if v < lo || v > 1<<15 || v&(v-1) != 0 {
			return 0, fmt.Errorf("async.NewEngine: %s(%d): want a power of two from %d to 32768", name, v, lo)
		}
		return v, nil
	}
	var err error
	if o.entries, err = pow2("WithEngineRing", o.entries, 8, DefaultEngineRing); err != nil {
		return nil, err
	}
	if o.buffers, err = pow2("WithEngineBuffers", o.buffers, 1, DefaultEngineBuffers); err != nil {
		return nil, err
	}
	e, err := loop.NewEngine(model, h, cfg, loop.DetachTo(func(fd int) (*Conn, error) { return New(fd) }))
	if err != nil {
		return nil, err
	}
	d, err := newDriver(e, o)
	if err != nil {
		return nil, err
	}
	// Sends go on the ring, many in one io_uring_enter (measured on 64-byte
	// echo: 6.4 µs of server CPU per message, against 8.1 with Write's own
	// send(2); async/README.md).
	e.QueueWrites = true
	e.Drive(d)
	return &Engine{e: e}, nil
}

// Serve accepts connections on ln, a listening stream socket of this
// module or of package net, until Shutdown; it then returns
// iomodel.ErrEngineClosed. The Engine accepts on its own duplicate of ln's
// descriptor, so ln stays the caller's to close. Serve may run for several
// listeners at once.
func (e *Engine) Serve(ln net.Listener) error { return e.e.Serve(ln) }

// Shutdown stops accepting, closes every connection as EventConn.Close
// does (flushing its queued output) and returns when all are closed and
// every loop has exited; when ctx ends first, it closes what is left at
// once and returns ctx's error.
func (e *Engine) Shutdown(ctx context.Context) error { return e.e.Shutdown(ctx) }

// Stats returns the Engine's counters. Reads and Writes count completed
// receives and sends; Wakeups the loops' io_uring_enter calls that waited.
func (e *Engine) Stats() iomodel.EngineStats { return e.e.Stats() }
