package blocking

import (
	"context"
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// Engine is the blocking model in the loop shape (see iomodel.Handler): a
// goroutine per connection, each on a thread of its own while it sleeps
// in recv(2) on the blocking socket, calling the Handler with what it got
// and sleeping again; a goroutine per listener sleeping until a connection
// waits. There is no loop to stall: a Handler that blocks holds up only
// its own connection. Output that the socket does not take at once is
// queued, and the connection's goroutine sends it, sleeping in send(2).
// Close, a moved deadline, output queued from another goroutine and
// Shutdown reach a sleeping goroutine by SIGURG to its thread (see the
// package doc). Deadlines and idle timeouts are the socket's own timeouts
// (SO_RCVTIMEO, SO_SNDTIMEO): the kernel keeps the timer, no runtime timer
// per connection. EngineConfig.Loops is not used.
type Engine struct {
	e *loop.Engine
}

// An EngineOption configures NewEngine. The blocking model has none yet.
type EngineOption func(*engineOptions)

type engineOptions struct{}

// Serve accepts connections on ln until Shutdown (see iomodel's loop
// shape): it takes its own duplicate of ln's socket and returns
// iomodel.ErrEngineClosed after Shutdown. ln may be any listener of this
// module or of package net on a stream socket (TCP, Unix).
func (e *Engine) Serve(ln net.Listener) error { return e.e.Serve(ln) }

// Shutdown stops accepting, closes every connection as Close does
// (flushing what is queued) and returns when all are closed and every
// goroutine has exited; when ctx ends first, it closes what is left at
// once and returns ctx's error.
func (e *Engine) Shutdown(ctx context.Context) error { return e.e.Shutdown(ctx) }

// Stats counts what the Engine has done. Loops is the goroutines running,
// one per listener and one per connection; Wakeups counts the returns from
// recv(2).
func (e *Engine) Stats() iomodel.EngineStats { return e.e.Stats() }
