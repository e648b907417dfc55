package loop

import (
	"errors"
	"fmt"

	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iomodel/iomodel"
)

// Owner is the goroutine that drives a Conn: a readiness loop, a ring's
// loop, or the blocking model's goroutine for that connection. The Conn
// calls it; the Owner calls the Conn's loop-side methods.
type Owner interface {
	// Kick asks the owner to look at c soon (Service it): output was
	// queued, Close was called, a deadline or the idle timeout moved, the
	// queue reached its high watermark. It is called from any goroutine,
	// without c's lock, at most once until the owner calls c.Unkick.
	Kick(c *Conn)
	// Unwatch stops watching c's descriptor, without closing it; Watch
	// watches it again. Detach calls them on the owner's goroutine (from
	// within OnOpen or OnData): Unwatch before handing the descriptor to
	// the model's Conn, Watch if that failed.
	Unwatch(c *Conn) error
	Watch(c *Conn) error
	// Goroutine is the number (GoroutineID) of the goroutine that calls
	// the Conn's callbacks. Detach from any other goroutine fails, even
	// while a callback runs there: it would race the owner, which alone
	// may touch what watches the descriptor.
	Goroutine() uint64
}

// The states of a Conn (see the package doc).
const (
	stateOpen int32 = iota
	stateClosing
	stateClosed
	stateDetached
)

// Conn is an Engine's connection: the iomodel.EventConn its Handler sees.
//
// The EventConn methods are safe from any goroutine. The loop-side methods
// (Open, Input, ReadEOF, Fail, Recv, Flush, Head, Sent, Expire, Deadline,
// Finish, ...) are called only by the Conn's Owner, on its goroutine, and
// they call the Handler.
//
// mu guards the state, the write queue, the deadlines and the socket's
// number for writers: the owner closes the descriptor with mu held and
// marks it -1, so a Write from another goroutine never reaches a number
// that has been reused.
type Conn struct {
	eng           *Engine
	owner         Owner
	local, remote net.Addr

	mu    sync.Mutex
	q     *queue // nil while nothing is queued
	err   error  // for OnClose
	value any
	// dl is a deadline on Now's clock (0: none): while open, the read
	// deadline; while closing, the flush timeout's.
	dl int64

	// state and flagPaused are written with mu held and read without it
	// by the owner, which decides on them only on its own goroutine.
	state atomic.Int32
	flags atomic.Uint32 // flagPaused, flagKicked, flagInCB
	fd    int32         // -1 once closed or detached (mu)
	// timerIndex is the Conn's place in its owner's Timers (-1: none);
	// the owner's.
	timerIndex int32
	abort      bool // finish at once, dropping the queue (mu)
	// Watched and Stalled are the owner's: what it watches the descriptor
	// for, and its note that it stopped reading because of backpressure
	// (or a read budget) and must read again when it may.
	Watched Interest
	Stalled bool
	idle    atomic.Int64

	// The owner's alone.
	aside    *aside // only while input is held, or late, or after Detach
	lastRead int64  // Now's clock at the last Input, or at Open
	// Tag is the owner's own name for the Conn (a table slot and
	// generation).
	Tag uint64

	n counters
}

// The bits of Conn.flags: one atomic word where three atomic.Bools took
// 12 bytes.
const (
	flagPaused uint32 = 1 << iota // the queue reached HighWater; not yet below LowWater
	flagKicked                    // the owner has been kicked and not yet Unkicked
	flagInCB                      // in OnOpen or OnData: Detach may be called
)

// is reports whether flag f is set.
func (c *Conn) is(f uint32) bool { return c.flags.Load()&f != 0 }

// aside is what only some Conns need, kept out of the Conn so that an idle
// one is smaller; only the owner touches it.
type aside struct {
	held []byte // input the Handler did not consume
	// late is what an owner whose receives complete in the kernel (async)
	// received while Unwatch cancelled them, after the bytes of the
	// OnData that detached (AddLate, TakeLate).
	late    []byte
	handoff *detached // set by Detach
}

var _ iomodel.EventConn = (*Conn)(nil)

// NewConn makes a Conn of a connected socket fd for owner. It does not
// count it as accepted; the caller does (Counters.Accepted, Counters.Open).
func (e *Engine) NewConn(owner Owner, fd int, local, remote net.Addr) *Conn {
	c := &Conn{eng: e, owner: owner, fd: int32(fd), local: local, remote: remote}
	c.timerIndex = -1
	c.idle.Store(int64(e.Config.IdleTimeout))
	c.lastRead = Now()
	return c
}

// opError wraps err as net does for this connection.
func (c *Conn) opError(op string, err error) error {
	var network string
	if c.local != nil {
		network = c.local.Network()
	}
	return &net.OpError{Op: op, Net: network, Source: c.local, Addr: c.remote, Err: err}
}

// Write is iomodel.EventConn's: it sends what the socket takes at once
// (MSG_DONTWAIT, from whichever goroutine calls it) when nothing is queued,
// queues the rest and kicks the owner to flush it.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.state.Load() != stateOpen {
		c.mu.Unlock()
		return 0, c.opError("write", net.ErrClosed)
	}
	if c.q.len() >= c.eng.Config.HighWater {
		c.mu.Unlock()
		return 0, iomodel.ErrBackpressure
	}
	if len(p) == 0 {
		c.mu.Unlock()
		return 0, nil
	}
	c.n.wrCalls.Add(1)
	n := 0
	if c.q.len() == 0 && !c.eng.QueueWrites {
		var err error
		if n, err = c.send(p); err != nil {
			err = c.opError("write", os.NewSyscallError("write", err))
			c.failLocked(err)
			c.mu.Unlock()
			c.kick()
			return 0, err
		}
	}
	if n == len(p) {
		c.mu.Unlock()
		return n, nil
	}
	wasEmpty := c.q.len() == 0
	if c.q == nil {
		c.q = newQueue()
	}
	c.q.push(p[n:])
	pause := c.q.len() >= c.eng.Config.HighWater && !c.is(flagPaused)
	if pause {
		c.flags.Or(flagPaused)
		c.eng.Counters.Paused.Add(1)
	}
	c.mu.Unlock()
	if wasEmpty || pause {
		c.kick()
	}
	return len(p), nil
}

// send is one write of p with MSG_DONTWAIT, counted; EAGAIN is 0, nil.
// Called with mu held.
func (c *Conn) send(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, net.ErrClosed
	}
	for {
		n, err := sendto(int(c.fd), p)
		c.n.wrSyscalls.Add(1)
		c.eng.Counters.Writes.Add(1)
		switch err {
		case nil:
			c.n.wrBytes.Add(uint64(n))
			c.eng.Counters.BytesWritten.Add(uint64(n))
			return n, nil
		case errEINTR:
			continue
		case errEAGAIN:
			c.n.wrWouldBlock.Add(1)
			return 0, nil
		}
		return 0, err
	}
}

// Close is iomodel.EventConn's: reading stops, the owner flushes what is
// queued (for at most FlushTimeout), closes and calls OnClose(c, nil).
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.state.Load() != stateOpen {
		c.mu.Unlock()
		return c.opError("close", net.ErrClosed)
	}
	c.closingLocked(nil)
	c.mu.Unlock()
	c.kick()
	return nil
}

// closingLocked moves an open Conn to closing with err for OnClose.
func (c *Conn) closingLocked(err error) {
	c.err = err
	c.state.Store(stateClosing)
	c.dl = Now() + int64(c.eng.Config.FlushTimeout)
}

// failLocked closes at once, dropping the queue: the socket failed, or
// Shutdown's context ended. An error of a Conn that was closing already
// does not replace the reason it was closing for.
func (c *Conn) failLocked(err error) {
	switch c.state.Load() {
	case stateOpen:
		c.err = err
		c.state.Store(stateClosing)
	case stateClosing:
	default:
		return
	}
	c.abort = true
}

// LocalAddr is iomodel.EventConn's.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr is iomodel.EventConn's.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetContext is iomodel.EventConn's.
func (c *Conn) SetContext(v any) {
	c.mu.Lock()
	c.value = v
	c.mu.Unlock()
}

// Context is iomodel.EventConn's.
func (c *Conn) Context() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// SetReadDeadline is iomodel.EventConn's.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	switch c.state.Load() {
	case stateClosed, stateDetached:
		c.mu.Unlock()
		return c.opError("set", net.ErrClosed)
	case stateOpen: // closing, nothing is read any more
		c.dl = At(t)
	}
	c.mu.Unlock()
	c.kick()
	return nil
}

// SetIdleTimeout is iomodel.EventConn's.
func (c *Conn) SetIdleTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("iomodel: SetIdleTimeout(%v): negative duration", d)
	}
	if s := c.state.Load(); s == stateClosed || s == stateDetached {
		return c.opError("set", net.ErrClosed)
	}
	c.idle.Store(int64(d))
	c.kick()
	return nil
}

// Queued is iomodel.EventConn's.
func (c *Conn) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q.len()
}

// Stats is iomodel.EventConn's: Read counts OnData calls, Write counts
// Write calls, and each the system calls (or ring operations) and bytes.
func (c *Conn) Stats() iomodel.Stats {
	return c.n.snapshot()
}

func (c *Conn) kick() {
	if c.flags.Or(flagKicked)&flagKicked == 0 {
		c.owner.Kick(c)
	}
}

// ErrDetachOutsideCallback is wrapped by Detach's error when it is called
// other than from within OnOpen or OnData.
var ErrDetachOutsideCallback = errors.New("Detach called outside OnOpen and OnData")

// timeoutError is what OnClose gets when a deadline passed.
func (c *Conn) timeoutError() error { return c.opError("read", os.ErrDeadlineExceeded) }
