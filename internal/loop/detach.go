package loop

import (
	"fmt"
	"net"
	"sync"
)

// Detach is iomodel.EventConn's: from within OnOpen or OnData, the owner
// stops watching the descriptor and the Engine's Detacher (the model's New)
// takes it. The returned net.Conn reads first the bytes the Handler left
// unconsumed; within OnData those are known only once it returns, so its
// first Read waits for that (call Read from another goroutine, not from
// within the same OnData).
func (c *Conn) Detach() (net.Conn, error) {
	if !c.is(flagInCB) || !c.onOwner() {
		return nil, fmt.Errorf("iomodel: %s: %w", c.eng.Model, ErrDetachOutsideCallback)
	}
	if c.eng.detach == nil {
		return nil, fmt.Errorf("iomodel: %s: Detach: the engine has no Conn to hand over to", c.eng.Model)
	}
	c.mu.Lock()
	if c.state.Load() != stateOpen {
		c.mu.Unlock()
		return nil, c.opError("detach", net.ErrClosed)
	}
	if c.q.len() > 0 {
		n := c.q.len()
		c.mu.Unlock()
		return nil, fmt.Errorf("iomodel: %s: Detach: %d bytes of output are still queued; detach after OnDrain or before writing", c.eng.Model, n)
	}
	// From here no Write can queue anything: they fail as on a closed
	// connection.
	c.state.Store(stateDetached)
	c.mu.Unlock()
	undo := func() {
		c.mu.Lock()
		c.state.Store(stateOpen)
		c.mu.Unlock()
	}
	if err := c.owner.Unwatch(c); err != nil {
		undo()
		return nil, fmt.Errorf("iomodel: %s: Detach: %w", c.eng.Model, err)
	}
	nc, err := c.eng.detach(int(c.fd))
	if err != nil {
		if werr := c.owner.Watch(c); werr != nil {
			// Neither the loop nor a Conn can drive it any more.
			c.mu.Lock()
			c.state.Store(stateOpen)
			c.failLocked(c.opError("detach", werr))
			c.mu.Unlock()
			c.kick()
			return nil, fmt.Errorf("iomodel: %s: Detach: %w (and watching it again failed: %v)", c.eng.Model, err, werr)
		}
		undo()
		return nil, fmt.Errorf("iomodel: %s: Detach: %w", c.eng.Model, err)
	}
	c.mu.Lock()
	c.fd = -1 // nc's now
	c.mu.Unlock()
	d := &detached{Conn: nc, ready: make(chan struct{})}
	if c.aside == nil {
		c.aside = new(aside)
	}
	c.aside.handoff = d
	c.eng.Counters.Open.Add(-1)
	c.eng.Counters.Closed.Add(1)
	return d, nil
}

// onOwner reports whether the caller is the owner's goroutine.
func (c *Conn) onOwner() bool { return c.owner.Goroutine() == GoroutineID() }

// detached is the net.Conn Detach returns: the model's Conn, read after
// the bytes the loop had received and the Handler had not consumed.
type detached struct {
	net.Conn
	ready chan struct{} // closed by give
	mu    sync.Mutex
	held  []byte
}

// give hands over the held bytes; the owner calls it once the callback
// that detached has returned.
func (d *detached) give(held []byte) {
	d.held = held
	close(d.ready)
}

// Read returns the held bytes first, then reads the Conn.
func (d *detached) Read(p []byte) (int, error) {
	<-d.ready
	d.mu.Lock()
	if len(d.held) > 0 {
		n := copy(p, d.held)
		d.held = d.held[n:]
		if len(d.held) == 0 {
			d.held = nil
		}
		d.mu.Unlock()
		return n, nil
	}
	d.mu.Unlock()
	return d.Conn.Read(p)
}
