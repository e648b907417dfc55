package sigdriven

import (
	"context"
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// Engine is the signal-driven model in the loop shape (see
// iomodel.Handler): EngineConfig.Loops loops, one per CPU by default, each
// a goroutine locked to its own OS thread that blocks the Engine's real-time
// signal and SIGIO and reads them from a signalfd(2). Every connection a
// loop owns is armed for that loop's thread (F_SETSIG, F_SETOWN_EX
// F_OWNER_TID, O_ASYNC), so the kernel queues one signal per readiness
// event, naming the descriptor: the loop's signal queue is its readiness
// list, and it calls the Handler for the descriptors it names. When the
// queue is full (RLIMIT_SIGPENDING) the kernel sends plain SIGIO instead,
// and the loop asks every connection (the rescan): nothing is lost.
type Engine struct {
	e *loop.Engine
}

// An EngineOption configures NewEngine.
type EngineOption func(*engineOptions)

type engineOptions struct {
	sig int
}

// WithEngineSignal makes the Engine's loops use real-time signal sig (35
// to 64) instead of DefaultSignal; signals the Go runtime or libc own are
// refused (ErrBadSignal). The signal may be shared with Conns and other
// Engines: each loop's signals are aimed at its own thread.
func WithEngineSignal(sig int) EngineOption {
	return func(o *engineOptions) { o.sig = sig }
}

// Serve accepts connections on ln until Shutdown (see iomodel's loop
// shape): it takes its own duplicate of ln's socket and returns
// iomodel.ErrEngineClosed after Shutdown. ln may be any listener of this
// module or of package net on a stream socket (TCP, Unix). The duplicate
// shares ln's open file, and so its signal settings (fcntl(2) F_SETSIG,
// F_SETOWN_EX and O_ASYNC belong to the open file): while the Engine
// serves on it, ln's readiness signals go to the Engine's loop, and after
// Shutdown they are switched off. Give the Engine a listener of its own.
func (e *Engine) Serve(ln net.Listener) error { return e.e.Serve(ln) }

// Shutdown stops accepting, closes every connection as Close does
// (flushing what is queued) and returns when all are closed and every
// loop has exited and given its thread back; when ctx ends first, it
// closes what is left at once and returns ctx's error.
func (e *Engine) Shutdown(ctx context.Context) error { return e.e.Shutdown(ctx) }

// Stats counts what the Engine has done. Wakeups counts the loops'
// returns from their wait: a batch of signals, a sleep's signal, a
// timeout.
func (e *Engine) Stats() iomodel.EngineStats { return e.e.Stats() }
