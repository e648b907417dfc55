package iomodel

import (
	"errors"
	"net"
	"time"
)

// The loop shape. A Conn hides each model behind a call that looks
// blocking: a goroutine waits per connection and the Go scheduler does the
// waiting. The loop shape exposes the model as Stevens draws it: a loop that
// the kernel drives (readiness from select or epoll, a signal, a
// completion) and that calls the program back. Every model package has an
// Engine that runs such loops; they all call the same Handler with the same
// EventConn, so a program picks its model by import, as with Conn:
//
//	type echo struct{}
//
//	func (echo) OnOpen(c iomodel.EventConn)                      {}
//	func (echo) OnData(c iomodel.EventConn, data []byte) int     { c.Write(data); return len(data) }
//	func (echo) OnClose(c iomodel.EventConn, err error)          {}
//
//	e, err := multiplex.NewEngine(echo{}, iomodel.EngineConfig{})
//	go e.Serve(ln)
//	...
//	e.Shutdown(ctx)
//
// Each model package's Engine has the same methods:
//
//	func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error)
//	func (e *Engine) Serve(ln net.Listener) error        // accepts on ln until Shutdown
//	func (e *Engine) Shutdown(ctx context.Context) error // stop accepting, flush, close
//	func (e *Engine) Stats() iomodel.EngineStats
//
// NewEngine refuses a nil Handler and a bad EngineConfig with an error naming
// what was wrong; EngineOption is the model's own knobs (the multiplex
// backend, the async ring's size). Serve takes any listener of this module
// or of package net that has SyscallConn (stream sockets: TCP, Unix); the
// engine accepts on its own duplicate of the listener's descriptor, so it
// is Shutdown, not ln.Close, that stops it, and Serve then returns
// ErrEngineClosed. Serve may be called for several listeners at once.
// Shutdown stops accepting, closes every connection as Close does (flushing
// its queued output) and returns when all are closed and every loop has
// exited, or with ctx's error when ctx ends first, after closing what is
// left at once.

// Handler is the program an Engine calls back. Its methods run on the
// connection's loop, one at a time per connection and never concurrently for
// the same connection; a method that blocks stalls every connection of that
// loop, so a handler that must block detaches the connection
// (EventConn.Detach) or hands the work to a goroutine of its own and writes
// the answer from there (EventConn.Write is safe from any goroutine).
type Handler interface {
	// OnOpen is called once, when the connection has been accepted, before
	// any OnData.
	OnOpen(c EventConn)
	// OnData is called with bytes the connection received. data is valid
	// only until OnData returns (it is the loop's buffer, or the kernel's
	// provided buffer in the async model): keep a copy of what is needed
	// later. OnData returns how many bytes of data it consumed; the loop
	// keeps the rest, data[consumed:], and hands it again in front of the
	// next bytes that arrive, so a parser can wait for a whole message.
	// Returning len(data) keeps nothing; a connection that keeps nothing
	// holds no read buffer while it is idle. What is kept is not bounded
	// by the engine: a parser waiting for a message longer than it
	// accepts should Close the connection.
	OnData(c EventConn, data []byte) (consumed int)
	// OnClose is called once, last, when the connection has ended. err is
	// nil after Close or the Engine's Shutdown; io.EOF when the peer shut
	// its side down (after every byte was handed to OnData and queued
	// output was flushed); an error wrapping os.ErrDeadlineExceeded when
	// the read deadline or the idle timeout expired; otherwise a
	// *net.OpError with the socket's error (errors.Is(err,
	// syscall.ECONNRESET) works). After OnClose, Write
	// fails, and LocalAddr, RemoteAddr, Context and Stats still answer.
	OnClose(c EventConn, err error)
}

// DrainHandler is an optional method of a Handler: OnDrain is called on the
// loop when a connection whose write queue had reached its high watermark
// (so that Write returned ErrBackpressure and reading paused) has drained
// below its low watermark. Reading resumes at the same moment.
type DrainHandler interface {
	OnDrain(c EventConn)
}

// EventConn is one connection of an Engine, as its Handler sees it.
type EventConn interface {
	// Write sends p, never blocking the loop: what the socket takes at
	// once is sent, the rest is copied into the connection's write queue
	// and sent, in order, as the socket drains. It is safe from any
	// goroutine, and wakes the loop when it queued something; concurrent
	// Writes never interleave their bytes. It returns
	// len(p), nil when p was sent or queued; 0 and ErrBackpressure,
	// taking nothing of p, when the queue already holds HighWater bytes or
	// more (write it again after OnDrain); 0 and an error wrapping
	// net.ErrClosed once the connection is closing or closed.
	Write(p []byte) (n int, err error)
	// Close ends the connection: reading stops at once, output already
	// queued is flushed (for at most EngineConfig.FlushTimeout), the
	// socket closes and OnClose(c, nil) runs on the loop. It is safe from
	// any goroutine; a second Close returns an error wrapping
	// net.ErrClosed.
	Close() error
	// LocalAddr and RemoteAddr are the socket's addresses, recorded when it
	// was accepted; they answer after the connection has closed.
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// SetContext stores a value of the handler's own with the connection
	// (its per-connection state); Context returns it. Both are safe from
	// any goroutine.
	SetContext(v any)
	Context() any
	// SetReadDeadline makes the loop close the connection, with an error
	// wrapping os.ErrDeadlineExceeded for OnClose, if t passes while it is
	// open (once closing, it reads nothing more, and a read deadline no
	// longer applies). Data arriving does not move it (as with net.Conn,
	// the deadline is an absolute time); the zero time removes it. The
	// loop's own timers keep it: no runtime timer per connection.
	SetReadDeadline(t time.Time) error
	// SetIdleTimeout makes the loop close the connection, with an error
	// wrapping os.ErrDeadlineExceeded for OnClose, once d has passed
	// without a byte received; every OnData starts the period again. Zero
	// turns it off. The default is EngineConfig.IdleTimeout.
	SetIdleTimeout(d time.Duration) error
	// Queued is how many bytes wait in the write queue.
	Queued() int
	// Stats counts what the connection has done, in the same fields as a
	// Conn's Stats.
	Stats() Stats
	// Detach hands the connection over to the model's goroutine-shaped
	// Conn, for work that blocks (crypto/tls, net/http, a database call)
	// without stalling the loop. Call it from OnOpen or OnData; the loop
	// stops watching the descriptor and forgets the connection (OnClose is
	// not called), and the returned net.Conn owns the descriptor. Its first
	// Reads return the bytes the loop had received and the handler had not
	// consumed (from within OnData: data[consumed:] of that call, once it
	// returns), then it reads the socket; so read it from another
	// goroutine, not from within the OnData that detached. Detach fails,
	// leaving the connection on the loop, if output is still queued
	// (Queued() > 0) or when called other than from within OnOpen or
	// OnData on the loop's own goroutine.
	Detach() (net.Conn, error)
}

// EngineConfig is what every model's NewEngine takes. The zero value is
// the defaults; a negative value, or LowWater not below HighWater, is
// refused with an error naming the field.
type EngineConfig struct {
	// Loops is how many loops share the connections, each one goroutine
	// waiting by its model's mechanism; accepted connections are spread
	// over them. 0 means runtime.GOMAXPROCS(0). The blocking model has a
	// goroutine per connection instead and ignores it.
	Loops int
	// ReadBuffer is the size of each loop's read buffer, the most bytes one
	// read takes from a socket. 0 means 64 KiB. (The async model reads into
	// buffers the kernel picks from its provided-buffer ring, of this size.)
	ReadBuffer int
	// HighWater and LowWater bound a connection's write queue, in bytes.
	// When the queue reaches HighWater, Write returns ErrBackpressure and
	// the loop stops reading the connection; when it drains below
	// LowWater, reading resumes and OnDrain is called. HighWater 0 means
	// 1 MiB; LowWater 0 means 256 KiB, or a quarter of HighWater when
	// that is less.
	HighWater, LowWater int
	// IdleTimeout closes a connection that has received nothing for this
	// long (see EventConn.SetIdleTimeout). 0 means never.
	IdleTimeout time.Duration
	// FlushTimeout bounds how long Close waits for queued output to be
	// written before it closes the socket anyway. 0 means 5 seconds.
	FlushTimeout time.Duration
}

// EngineStats counts what an Engine has done since it was made.
type EngineStats struct {
	Loops    int    // loops running
	Accepted uint64 // connections accepted
	Open     int64  // connections open now
	Closed   uint64 // connections closed (OnClose called) or detached
	// Rejected is how many connections were accepted and closed at once,
	// without OnOpen: because the process was out of descriptors (EMFILE,
	// ENFILE; the engine keeps a spare descriptor to take them off the
	// listen queue rather than spin on it), or because the model cannot
	// watch the descriptor (select's FD_SETSIZE).
	Rejected uint64
	// Reads and Writes are the data system calls issued, or the
	// operations completed by the kernel in the async model; BytesRead and
	// BytesWritten the bytes they moved.
	Reads, Writes           uint64
	BytesRead, BytesWritten uint64
	// Wakeups is how many times a loop returned from its wait: a select,
	// poll or epoll_wait, a signal read, a ring's enter, a back-off nap,
	// a blocking read.
	Wakeups uint64
	// Paused is how many times a connection's reading paused at its high
	// watermark.
	Paused uint64
}

// ErrBackpressure is what EventConn.Write returns when the connection's
// write queue holds its high watermark or more: nothing was taken; write
// again after the handler's OnDrain.
var ErrBackpressure = errors.New("iomodel: write queue at its high watermark")

// ErrEngineClosed is what an Engine's Serve returns after Shutdown, as
// net/http's Server.Serve returns http.ErrServerClosed.
var ErrEngineClosed = errors.New("iomodel: engine shut down")
