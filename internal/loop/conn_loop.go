package loop

import (
	"io"
	"os"
)

// The loop-side methods: only c's Owner calls them, on its goroutine.

// Unkick clears the kick flag; the owner calls it before it services a
// Conn it was kicked for, so a later kick is not lost.
func (c *Conn) Unkick() { c.flags.And(^flagKicked) }

// Fd is the socket's descriptor, for the owner's mechanism.
func (c *Conn) Fd() int { return int(c.fd) }

// Open calls OnOpen.
func (c *Conn) Open() {
	c.flags.Or(flagInCB)
	c.eng.Handler.OnOpen(c)
	c.flags.And(^flagInCB)
	if c.Detached() {
		c.aside.handoff.give(c.aside.late)
		c.aside.late = nil
	}
}

// Reading reports whether the owner should read the socket: the Conn is
// open and its queue is below its high watermark.
func (c *Conn) Reading() bool {
	return c.state.Load() == stateOpen && !c.is(flagPaused)
}

// Closing reports whether the Conn is closing or closed: it reads no more.
// An owner whose receives complete in the kernel (async) drops bytes that
// arrive after Close, where a paused Conn (Reading false too) still gets
// them.
func (c *Conn) Closing() bool {
	s := c.state.Load()
	return s == stateClosing || s == stateClosed
}

// Writing reports whether output is queued for the owner to send.
func (c *Conn) Writing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q.len() > 0 && !c.abort && c.fd >= 0
}

// Detached reports whether Detach handed the Conn over: the owner forgets
// it (Unwatch has been called already) and must not close its descriptor.
func (c *Conn) Detached() bool { return c.aside != nil && c.aside.handoff != nil }

// Finishing reports whether the owner should finish the Conn now: it is
// closing and its queue is empty, or it is to be dropped at once.
func (c *Conn) Finishing() bool {
	if c.state.Load() != stateClosing {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.abort || c.q.len() == 0
}

// Recv reads the socket into p with MSG_DONTWAIT, retrying EINTR, and
// counts it. It returns the bare errno (EAGAIN included); 0, nil is
// end-of-file.
func (c *Conn) Recv(p []byte) (int, error) {
	for {
		n, err := recvfrom(int(c.fd), p)
		c.CountRead(n, err)
		if err != errEINTR {
			return n, err
		}
	}
}

// CountRead counts one read system call or completed receive of n bytes
// (err nil) or its error; an engine that reads otherwise than by Recv
// calls it.
func (c *Conn) CountRead(n int, err error) {
	c.n.rdSyscalls.Add(1)
	c.eng.Counters.Reads.Add(1)
	switch {
	case err == errEAGAIN:
		c.n.rdWouldBlock.Add(1)
	case err == nil && n > 0:
		c.n.rdBytes.Add(uint64(n))
		c.eng.Counters.BytesRead.Add(uint64(n))
	}
}

// CountWait counts one time the owner waited for the Conn's socket (the
// blocking engine's sleep in read).
func (c *Conn) CountWait() { c.n.rdWaits.Add(1) }

// Input hands p, bytes just received, to OnData, in front of them the
// bytes an earlier OnData did not consume, and keeps what this one does
// not consume. p is the owner's buffer, free again when Input returns.
func (c *Conn) Input(p []byte) {
	// Always, not only under an idle timeout: SetIdleTimeout may start
	// one later, and its period counts from the last byte received.
	c.lastRead = Now()
	data := p
	if c.aside != nil && len(c.aside.held) > 0 {
		c.aside.held = append(c.aside.held, p...)
		data = c.aside.held
	}
	c.n.rdCalls.Add(1)
	c.flags.Or(flagInCB)
	consumed := c.eng.Handler.OnData(c, data)
	c.flags.And(^flagInCB)
	consumed = max(0, min(consumed, len(data)))
	rest := data[consumed:]
	switch {
	case c.Detached():
		c.aside.handoff.give(append(append([]byte(nil), rest...), c.aside.late...))
		c.aside.held, c.aside.late = nil, nil
	case len(rest) == 0:
		c.hold(nil) // an idle connection holds no buffer
	case c.aside != nil && len(c.aside.held) > 0:
		c.aside.held = c.aside.held[:copy(c.aside.held, rest)]
	default:
		c.hold(append([]byte(nil), rest...))
	}
}

// hold keeps p as the input held for the next OnData; the aside goes when
// it holds nothing any more.
func (c *Conn) hold(p []byte) {
	switch {
	case p != nil:
		if c.aside == nil {
			c.aside = new(aside)
		}
		c.aside.held = p
	case c.aside != nil:
		c.aside.held = nil
		if c.aside.late == nil && c.aside.handoff == nil {
			c.aside = nil
		}
	}
}

// AddLate keeps p, bytes an owner whose receives complete in the kernel
// (async) received while Unwatch cancelled them, after the bytes of the
// OnData that detached: Detach's Conn reads them after the unconsumed
// ones, or, when Detach failed, the owner hands them to OnData next
// (TakeLate).
func (c *Conn) AddLate(p []byte) {
	if c.aside == nil {
		c.aside = new(aside)
	}
	c.aside.late = append(c.aside.late, p...)
}

// TakeLate returns what AddLate kept, if Detach did not hand it over, and
// forgets it.
func (c *Conn) TakeLate() []byte {
	if c.aside == nil || c.aside.late == nil || c.Detached() {
		return nil
	}
	late := c.aside.late
	c.aside.late = nil
	c.hold(c.aside.held)
	return late
}

// ReadEOF records that the peer shut down its side: the Conn closes once
// its queue is flushed, and OnClose gets io.EOF.
func (c *Conn) ReadEOF() {
	c.mu.Lock()
	if c.state.Load() == stateOpen {
		c.closingLocked(io.EOF)
	}
	c.mu.Unlock()
}

// Fail closes the Conn at once, dropping its queue, with err for OnClose
// (when it was open): the socket failed. op and errno are wrapped as net
// does: *net.OpError around *os.SyscallError.
func (c *Conn) Fail(op string, errno error) {
	err := c.opError(op, os.NewSyscallError(op, errno))
	c.mu.Lock()
	c.failLocked(err)
	c.mu.Unlock()
}

// Abort closes the Conn at once, dropping its queue; OnClose gets nil if
// it was open (Shutdown's context ended).
func (c *Conn) Abort() { c.shut(true) }

// Shut is Close for Shutdown: no error if the Conn is closing already.
func (c *Conn) Shut() { c.shut(false) }

func (c *Conn) shut(abort bool) {
	c.mu.Lock()
	if c.state.Load() == stateOpen {
		c.closingLocked(nil)
	}
	if abort {
		c.failLocked(nil)
	}
	c.mu.Unlock()
}

// Flush sends the queue with MSG_DONTWAIT until it is empty or the socket
// is full, and reports whether it is full (blocked: wait for Write
// readiness). A send error fails the Conn. When the queue drains below
// LowWater after it had reached HighWater, reading resumes and OnDrain
// runs.
func (c *Conn) Flush() (blocked bool) {
	c.mu.Lock()
	for c.q.len() > 0 && !c.abort && c.fd >= 0 {
		n, err := c.send(c.q.head())
		if err != nil {
			c.failLocked(c.opError("write", os.NewSyscallError("write", err)))
			break
		}
		if n == 0 {
			blocked = true
			break
		}
		c.q.advance(n)
	}
	c.dropEmptyQueue()
	c.mu.Unlock()
	c.drained()
	return blocked
}

// Head is the next queued bytes to send, for an owner that sends them
// itself (a ring's send): they stay where they are until Sent, however
// many Writes come meanwhile. Nil when nothing is queued.
func (c *Conn) Head() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.abort {
		return nil
	}
	c.q.lend()
	return c.q.head()
}

// Sent drops n bytes the owner sent from Head and counts the send; see
// Flush for OnDrain.
func (c *Conn) Sent(n int) {
	c.mu.Lock()
	c.q.advance(n)
	c.dropEmptyQueue()
	c.n.wrSyscalls.Add(1)
	c.n.wrBytes.Add(uint64(n))
	c.eng.Counters.Writes.Add(1)
	c.eng.Counters.BytesWritten.Add(uint64(n))
	c.mu.Unlock()
	c.drained()
}

// dropEmptyQueue lets an empty queue go back to the pool, so an idle Conn
// holds none. Called with mu held.
func (c *Conn) dropEmptyQueue() {
	if c.q != nil && c.q.n == 0 {
		c.q.free()
		c.q = nil
	}
}

// drained ends a pause once the queue is below LowWater: reading resumes
// and OnDrain runs.
func (c *Conn) drained() {
	if !c.is(flagPaused) {
		return
	}
	c.mu.Lock()
	resume := c.q.len() < c.eng.Config.LowWater
	if resume {
		c.flags.And(^flagPaused)
	}
	open := c.state.Load() == stateOpen
	c.mu.Unlock()
	if resume && open && c.eng.Drainer != nil {
		c.eng.Drainer.OnDrain(c)
	}
}

// Deadline is when the owner must next look at the Conn for its
// deadlines (Expire), on Now's clock: the read deadline, the end of the
// idle period, or the flush timeout while closing; 0 for none.
func (c *Conn) Deadline() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var when int64
	earliest := func(t int64) {
		if t != 0 && (when == 0 || t < when) {
			when = t
		}
	}
	switch c.state.Load() {
	case stateOpen:
		earliest(c.dl)
		if idle := c.idle.Load(); idle > 0 {
			earliest(c.lastRead + idle)
		}
	case stateClosing:
		if c.q.len() > 0 && !c.abort {
			earliest(c.dl)
		}
	}
	return when
}

// Expire applies the deadlines that have passed at now: an open Conn whose
// read deadline or idle period passed starts closing, with an error
// wrapping os.ErrDeadlineExceeded for OnClose; a closing one whose flush
// timeout passed is dropped. The owner then services it as after an event.
func (c *Conn) Expire(now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Load() {
	case stateOpen:
		idle := c.idle.Load()
		if (c.dl != 0 && now >= c.dl) || (idle > 0 && now >= c.lastRead+idle) {
			c.closingLocked(c.timeoutError())
		}
	case stateClosing:
		if c.q.len() > 0 && now >= c.dl {
			c.abort = true
		}
	}
}

// Finish closes the descriptor, which the owner no longer watches, and
// calls OnClose; the Conn is closed. The owner then forgets it.
func (c *Conn) Finish() {
	c.mu.Lock()
	if c.fd >= 0 {
		closeFD(int(c.fd))
		c.fd = -1
	}
	if c.q != nil {
		c.q.free()
		c.q = nil
	}
	c.state.Store(stateClosed)
	err := c.err
	c.mu.Unlock()
	c.aside = nil
	c.eng.Counters.Open.Add(-1)
	c.eng.Counters.Closed.Add(1)
	c.eng.Handler.OnClose(c, err)
}

// Refuse closes a Conn its owner could not take (its mechanism refused the
// descriptor, as select does one ≥ FD_SETSIZE) before OnOpen: no callback
// runs, and it counts as rejected rather than closed.
func (c *Conn) Refuse() {
	// Counted first: the client may see the close at once.
	c.eng.Counters.Open.Add(-1)
	c.eng.Counters.Rejected.Add(1)
	c.mu.Lock()
	if c.fd >= 0 {
		closeFD(int(c.fd))
		c.fd = -1
	}
	c.state.Store(stateClosed)
	c.mu.Unlock()
}
