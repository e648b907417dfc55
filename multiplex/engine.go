package multiplex

import (
	"context"
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// Engine is the multiplex model in the loop shape: Config.Loops goroutines
// (one per CPU by default), each waiting on a Selector of its own and
// calling the Handler for the descriptors it reports ready. Accepted
// connections are spread over the loops in turn; each loop has one read
// buffer, so an idle connection holds none. See iomodel.Handler.
type Engine struct {
	e *loop.Engine
}

// An EngineOption configures NewEngine.
type EngineOption func(*engineOptions)

type engineOptions struct {
	backend Backend
	level   bool
}

// WithEngineBackend makes the Engine's loops wait on b: Epoll (the
// default), Poll or Select. With Select, a connection whose descriptor is
// FD_SETSIZE (1024) or more is closed at accept (EngineStats.Rejected
// counts it).
func WithEngineBackend(b Backend) EngineOption {
	return func(o *engineOptions) { o.backend = b }
}

// WithLevelTriggered makes an epoll Engine watch descriptors
// level-triggered, changing what each is watched for as its state
// changes, as the poll and select backends must; by default it registers
// each once, edge-triggered, and never changes it.
func WithLevelTriggered() EngineOption {
	return func(o *engineOptions) { o.level = true }
}

// Serve accepts connections on ln until Shutdown (see iomodel's loop
// shape): it takes its own duplicate of ln's socket and returns
// iomodel.ErrEngineClosed after Shutdown. ln may be any listener of this
// module or of package net on a stream socket (TCP, Unix).
func (e *Engine) Serve(ln net.Listener) error { return e.e.Serve(ln) }

// Shutdown stops accepting, closes every connection as Close does
// (flushing what is queued) and returns when all are closed and every loop
// has exited; when ctx ends first, it closes what is left at once and
// returns ctx's error.
func (e *Engine) Shutdown(ctx context.Context) error { return e.e.Shutdown(ctx) }

// Stats counts what the Engine has done.
func (e *Engine) Stats() iomodel.EngineStats { return e.e.Stats() }
