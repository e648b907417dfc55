package nonblock

import (
	"context"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// Engine is the non-blocking model in the loop shape (see
// iomodel.Handler): EngineConfig.Loops loops, one per CPU by default,
// each going round its connections asking each in turn, recv(2) with
// MSG_DONTWAIT, and calling the Handler with what it got; the kernel never says which
// connection is ready. A round in which no connection had anything makes
// the loop back off under its EnginePolicy (yield, then naps that double),
// and the first find ends the back-off. So a busy connection is asked
// again within a round, an idle one within a nap, and an idle Engine
// spends a recv(2) per connection per nap.
type Engine struct {
	e *loop.Engine
}

// An EngineOption configures NewEngine.
type EngineOption func(*engineOptions)

type engineOptions struct {
	policy Policy
}

// DefaultEnginePolicy is how an Engine's loop backs off after a round in
// which no connection had anything: two more rounds, each after yielding
// the processor and the thread (runtime.Gosched and sched_yield(2), so
// that a peer about to answer runs), then naps from 50 µs doubling to
// 2 ms. The last is the
// most an idle connection waits to be asked, and what bounds the CPU an
// idle Engine spends: about one recv(2) per connection per 2 ms.
var DefaultEnginePolicy = Policy{Yields: 2, MinSleep: 50 * time.Microsecond, MaxSleep: 2 * time.Millisecond}

// WithEnginePolicy makes the Engine's loops back off by p instead of
// DefaultEnginePolicy: Spins rounds at once, Yields rounds each after
// runtime.Gosched, then naps from MinSleep doubling to MaxSleep. A larger
// MaxSleep costs less CPU while idle and adds that much latency to the
// first message after a quiet spell. NewEngine refuses a negative field.
func WithEnginePolicy(p Policy) EngineOption {
	return func(o *engineOptions) { o.policy = p }
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

// Stats counts what the Engine has done. Wakeups counts the rounds' batches
// and the naps; Reads, the recv(2) calls, includes every one that found
// nothing.
func (e *Engine) Stats() iomodel.EngineStats { return e.e.Stats() }
