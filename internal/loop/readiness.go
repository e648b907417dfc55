package loop

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Readiness is the Driver of the readiness models (multiplex, nonblock,
// sigdriven): Config.Loops goroutines, each waiting on its own Backend and
// doing, when it returns, what Redis's aeProcessEvents does: read ready
// sockets into the loop's one buffer and call OnData, flush queues whose
// sockets are writable, accept, run the commands other goroutines posted
// (a Write that queued, a Close, new connections), and expire deadlines.
// Accepted connections are spread over the loops in turn.
type Readiness struct {
	e          *Engine
	newBackend NewBackend
	loops      []*rloop
	next       atomic.Uint32 // the loop the next connection goes to
	nextL      atomic.Uint32 // the loop the next listener goes to
	accepting  atomic.Int32  // listeners not yet closed
	live       atomic.Int32  // loops running
	done       chan struct{}
}

// NewReadiness makes the Driver for e, whose loops wait on Backends made by
// nb.
func NewReadiness(e *Engine, nb NewBackend) *Readiness {
	return &Readiness{e: e, newBackend: nb, done: make(chan struct{})}
}

// readsPerEvent bounds how many reads one socket gets per wake-up, so a
// fast sender does not starve the loop's other connections; an
// edge-triggered socket left with data is read again on the next round.
const readsPerEvent = 4

// acceptsPerEvent is the same bound for a listener.
const acceptsPerEvent = 64

// acceptPause is how long a listener rests when the process is out of
// descriptors and has no spare.
const acceptPause = 100 * time.Millisecond

// Start makes the Backends and starts the loops.
func (r *Readiness) Start() error {
	n := r.e.Config.Loops
	for i := 0; i < n; i++ {
		b, err := r.newBackend()
		if err != nil {
			for _, lp := range r.loops {
				lp.b.Close()
			}
			r.loops = nil
			return err
		}
		asker, _ := b.(Asker)
		r.loops = append(r.loops, &rloop{r: r, b: b, edge: b.EdgeTriggered(), asker: asker})
	}
	r.e.Counters.Loops.Store(int64(n))
	r.live.Store(int32(n))
	ready := make(chan struct{})
	for _, lp := range r.loops {
		run := func() {
			lp.gid = GoroutineID()
			ready <- struct{}{}
			lp.run()
		}
		if tb, ok := lp.b.(ThreadBackend); ok {
			tb.Go(run)
		} else {
			go run()
		}
	}
	for range r.loops {
		<-ready // lp.gid is set before any Conn is made for lp
	}
	return nil
}

// Listen hands l to the next loop, which accepts on it.
func (r *Readiness) Listen(l *Listener) error {
	r.accepting.Add(1)
	lp := r.loops[int(r.nextL.Add(1)-1)%len(r.loops)]
	lp.post(func(in *inbox) { in.listen = append(in.listen, l) })
	return nil
}

// Stop tells every loop to stop (see Driver).
func (r *Readiness) Stop(force bool) {
	for _, lp := range r.loops {
		lp.post(func(in *inbox) {
			in.stop = true
			in.force = in.force || force
		})
	}
}

// Done is closed when the last loop has exited.
func (r *Readiness) Done() <-chan struct{} { return r.done }

// pick is the loop the next accepted connection goes to.
func (r *Readiness) pick() *rloop {
	return r.loops[int(r.next.Add(1)-1)%len(r.loops)]
}

// listenerClosed counts a listener gone; when none is left, every loop
// looks again whether it may exit.
func (r *Readiness) listenerClosed() {
	if r.accepting.Add(-1) == 0 {
		for _, lp := range r.loops {
			lp.post(func(*inbox) {})
		}
	}
}

// inbox is what other goroutines hand a loop; its mutex guards it.
type inbox struct {
	kicks  []*Conn
	adopt  []*Conn
	listen []*Listener
	stop   bool
	force  bool
	other  bool // an empty post: look again
}

func (in *inbox) empty() bool {
	return len(in.kicks) == 0 && len(in.adopt) == 0 && len(in.listen) == 0 && !in.stop && !in.other
}

// slot is one entry of a loop's table of Conns: the Conn, and the
// generation that tells a stale event from a current one (31 bits: a
// Tag's top bit is lnTag).
type slot struct {
	gen uint32
	c   *Conn
}

// lnTag marks a Listener's Tag, whose low 32 bits are its index in the
// loop's lns (never reused: a loop has few listeners in its life).
const lnTag = 1 << 63

// rloop is one loop: a goroutine and its Backend.
type rloop struct {
	r        *Readiness
	b        Backend
	edge     bool
	asker    Asker  // b, if it is one
	found    int    // events of this round that found something, for asker
	gid      uint64 // the loop's goroutine
	buf      []byte // the one read buffer of the loop
	events   []Event
	slots    Table[slot]
	lns      []*Listener // nil once dropped
	conns    int
	timers   Timers
	again    []uint64 // tags to service again without waiting
	resting  []*Listener
	resumeAt int64

	stopping, forced bool

	mu       sync.Mutex
	in       inbox
	spare    inbox // the other half of a double buffer for in
	sleeping bool
	woken    bool
}

// post runs f on the inbox and wakes the loop if it sleeps.
func (lp *rloop) post(f func(*inbox)) {
	lp.mu.Lock()
	f(&lp.in)
	if len(lp.in.kicks) == 0 && len(lp.in.adopt) == 0 && len(lp.in.listen) == 0 && !lp.in.stop {
		lp.in.other = true
	}
	wake := lp.sleeping && !lp.woken
	if wake {
		lp.woken = true
	}
	lp.mu.Unlock()
	if wake {
		lp.b.Wake()
	}
}

// wait is the loop's Backend.Wait, for at most timeout, marked sleeping
// so that a post wakes it; it does not sleep when the inbox holds
// something already.
//
// No post is left unseen by a sleeping loop (TestPostNeverLost). post
// fills the inbox and looks at sleeping in one hold of mu; wait looks at
// the inbox and sets sleeping in another. So a post either comes first,
// and wait does not sleep, or comes after, sees sleeping and calls Wake,
// which ends this Wait or, landing before it begins, the next (every
// Backend keeps a Wake for its next Wait). woken, set by the post that
// calls Wake, spares the others a system call: it is cleared only after
// Wait returned, and a post that finds it set comes before the loop's
// next drainInbox, which takes what it posted. A Wake from a post that
// found sleeping still set after Wait returned costs one spurious return.
func (lp *rloop) wait(timeout time.Duration) (int, error) {
	lp.mu.Lock()
	if !lp.in.empty() {
		timeout = 0
	} else if timeout != 0 {
		lp.sleeping = true
	}
	lp.mu.Unlock()
	n, err := lp.b.Wait(lp.events, timeout)
	lp.mu.Lock()
	lp.sleeping, lp.woken = false, false
	lp.mu.Unlock()
	return n, err
}

// Kick is Owner's: the Conn is serviced on the loop's next round.
func (lp *rloop) Kick(c *Conn) {
	lp.post(func(in *inbox) { in.kicks = append(in.kicks, c) })
}

// Unwatch is Owner's.
func (lp *rloop) Unwatch(c *Conn) error { return lp.b.Remove(c.Fd()) }

// Watch is Owner's.
func (lp *rloop) Watch(c *Conn) error { return lp.b.Add(c.Fd(), c.Watched, c.Tag) }

// kickAll is the pseudo-readiness of a Conn serviced for a kick: flush,
// look at its state and interest.
const kickAll Interest = 1 << 7

// Goroutine is loop.Owner's.
func (lp *rloop) Goroutine() uint64 { return lp.gid }

func (lp *rloop) run() {
	lp.buf = make([]byte, lp.r.e.Config.ReadBuffer)
	lp.events = make([]Event, 256)
	defer lp.exit()
	for {
		lp.drainInbox()
		if lp.exiting() {
			return
		}
		timeout := time.Duration(-1)
		now := Now()
		if len(lp.again) > 0 {
			timeout = 0
		} else {
			timeout = lp.timers.Next(now)
			if lp.resumeAt != 0 {
				d := time.Duration(max(lp.resumeAt-now, 0))
				if timeout < 0 || d < timeout {
					timeout = d
				}
			}
		}
		n, err := lp.wait(timeout)
		lp.r.e.Counters.Wakeups.Add(1)
		if err != nil {
			lp.broken(err)
			continue
		}
		for _, ev := range lp.events[:n] {
			lp.dispatch(ev.Tag, ev.Ready)
		}
		if lp.asker != nil {
			lp.asker.Found(lp.found)
			lp.found = 0
		}
		if again := lp.again; len(again) > 0 {
			lp.again = nil
			for _, tag := range again {
				lp.dispatch(tag, Read)
			}
		}
		now = Now()
		for c := lp.timers.Due(now); c != nil; c = lp.timers.Due(now) {
			c.Expire(now)
			lp.service(c, kickAll)
		}
		if lp.resumeAt != 0 && now >= lp.resumeAt {
			lp.resume()
		}
	}
}

// exiting reports whether the loop is done: stopping, with no connection
// left and no listener anywhere that could hand it one.
func (lp *rloop) exiting() bool {
	if !lp.stopping || lp.conns > 0 || lp.r.accepting.Load() > 0 {
		return false
	}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	return len(lp.in.adopt) == 0 && len(lp.in.kicks) == 0
}

func (lp *rloop) exit() {
	lp.b.Close()
	if lp.r.live.Add(-1) == 0 {
		close(lp.r.done)
	}
}

// broken handles a failed Wait, which leaves the loop blind: the whole
// Engine stops at once, its listeners failing with the error.
func (lp *rloop) broken(err error) {
	err = fmt.Errorf("%s: the loop's wait failed: %w", lp.r.e.Model, err)
	for _, l := range lp.lns {
		if l != nil {
			l.Fail(err)
		}
	}
	lp.r.Stop(true)
	time.Sleep(time.Millisecond) // do not spin if it keeps failing
}

// drainInbox runs what other goroutines posted.
func (lp *rloop) drainInbox() {
	lp.mu.Lock()
	in := lp.in
	lp.in = lp.spare
	lp.mu.Unlock()
	for _, l := range in.listen {
		lp.addListener(l)
	}
	for _, c := range in.adopt {
		lp.adopt(c)
	}
	for _, c := range in.kicks {
		c.Unkick()
		if lp.owns(c) {
			lp.service(c, kickAll)
		}
	}
	if in.stop {
		lp.stop(in.force)
	}
	clear(in.kicks)
	clear(in.adopt)
	clear(in.listen)
	lp.spare = inbox{kicks: in.kicks[:0], adopt: in.adopt[:0], listen: in.listen[:0]}
}

// tag names slot i in its current generation.
func (lp *rloop) tag(i uint32) uint64 { return uint64(lp.slots.At(i).gen)<<32 | uint64(i) }

func (lp *rloop) alloc() uint32 {
	i, s := lp.slots.Alloc()
	if s.gen == 0 {
		s.gen = 1
	}
	return i
}

func (lp *rloop) release(i uint32) {
	s := lp.slots.At(i)
	s.c = nil
	s.gen = (s.gen + 1) &^ (1 << 31)
	lp.slots.Free(i)
}

// owns reports whether c is in the table still.
func (lp *rloop) owns(c *Conn) bool {
	i := uint32(c.Tag)
	if int(i) >= lp.slots.Len() || c.Tag&lnTag != 0 {
		return false
	}
	s := lp.slots.At(i)
	return s.c == c && s.gen == uint32(c.Tag>>32)
}

func (lp *rloop) dispatch(tag uint64, ready Interest) {
	i := uint32(tag)
	if tag&lnTag != 0 {
		if int(i) < len(lp.lns) && lp.lns[i] != nil {
			lp.accept(lp.lns[i])
		}
		return
	}
	if int(i) >= lp.slots.Len() {
		return
	}
	if s := lp.slots.At(i); s.gen == uint32(tag>>32) && s.c != nil {
		lp.service(s.c, ready)
	} // else the descriptor it was for is gone
}

// service does what c's readiness (or a kick, or a deadline) calls for:
// flush, read, then finish, forget or re-watch it.
func (lp *rloop) service(c *Conn, ready Interest) {
	if ready&(Write|Err|kickAll) != 0 && c.Writing() {
		if !c.Flush() {
			lp.found++
		}
	}
	if ready&(Read|HangUp|Err) != 0 || (c.Stalled && c.Reading()) {
		lp.read(c, ready)
	}
	switch {
	case c.Detached():
		lp.timers.Remove(c)
		lp.release(uint32(c.Tag))
		lp.conns--
		return
	case c.Finishing():
		lp.finish(c)
		return
	}
	if !lp.edge {
		var want Interest
		if c.Reading() {
			want |= Read
		}
		if c.Writing() {
			want |= Write
		}
		if want != c.Watched {
			if err := lp.b.Modify(c.Fd(), want, c.Tag); err != nil {
				c.Fail("epoll_ctl", err)
				lp.finish(c)
				return
			}
			c.Watched = want
		}
	}
	lp.timers.Schedule(c)
}

// read reads c until the socket is empty, the budget is spent, or c stops
// reading (closing, paused, detached).
func (lp *rloop) read(c *Conn, ready Interest) {
	for range readsPerEvent {
		if !c.Reading() {
			// Paused at the high watermark: read again once drained.
			c.Stalled = c.state.Load() == stateOpen
			return
		}
		n, err := c.Recv(lp.buf)
		if err != errEAGAIN {
			lp.found++
		}
		switch {
		case err == errEAGAIN:
			c.Stalled = false
			return
		case err != nil:
			c.Fail("read", err)
			return
		case n == 0:
			c.ReadEOF()
			return
		}
		c.Input(lp.buf[:n])
		if n < len(lp.buf) && ready&(HangUp|Err) == 0 {
			// The socket had less than a buffer: it is empty now, and
			// data arriving later is a new edge.
			c.Stalled = false
			return
		}
	}
	if lp.edge {
		c.Stalled = true
		lp.again = append(lp.again, c.Tag)
	}
}

// finish removes c from the Backend and the table and closes it.
func (lp *rloop) finish(c *Conn) {
	lp.b.Remove(c.Fd())
	lp.timers.Remove(c)
	lp.release(uint32(c.Tag))
	lp.conns--
	c.Finish()
}

// adopt takes a newly accepted Conn: watch it, OnOpen.
func (lp *rloop) adopt(c *Conn) {
	i := lp.alloc()
	c.Tag = lp.tag(i)
	in := Read
	if lp.edge {
		in = Read | Write
	}
	if err := lp.b.Add(c.Fd(), in, c.Tag); err != nil {
		lp.release(i)
		c.Refuse()
		return
	}
	lp.slots.At(i).c = c
	c.Watched = in
	lp.conns++
	c.Open()
	if lp.stopping {
		c.Shut()
		if lp.forced {
			c.Abort()
		}
	}
	lp.service(c, kickAll)
}

// addListener starts accepting on l.
func (lp *rloop) addListener(l *Listener) {
	if lp.stopping {
		l.Close()
		lp.r.listenerClosed()
		return
	}
	l.Tag = lnTag | uint64(len(lp.lns))
	if err := lp.b.Add(l.Fd(), Read, l.Tag); err != nil {
		l.Fail(fmt.Errorf("%s.Serve: %w", lp.r.e.Model, err))
		l.Close()
		lp.r.listenerClosed()
		return
	}
	lp.lns = append(lp.lns, l)
	// Connections may be queued already; with an edge-triggered Backend
	// no edge would come for them.
	lp.again = append(lp.again, l.Tag)
}

// dropListener stops watching l and closes it.
func (lp *rloop) dropListener(l *Listener) {
	lp.b.Remove(l.Fd())
	lp.lns[uint32(l.Tag)] = nil
	l.Close()
	lp.r.listenerClosed()
}

// accept takes the connections waiting on l and spreads them over the
// loops.
func (lp *rloop) accept(l *Listener) {
	e := lp.r.e
	for range acceptsPerEvent {
		fd, local, remote, err := l.Accept()
		switch {
		case err == errEAGAIN:
			return
		case errors.Is(err, ErrNoDescriptors):
			lp.rest(l)
			return
		case err != nil:
			l.Fail(fmt.Errorf("%s.Serve: %w", e.Model, &net.OpError{Op: "accept", Net: l.addr.Network(), Addr: l.addr, Err: err}))
			lp.dropListener(l)
			return
		}
		lp.found++
		e.Counters.Accepted.Add(1)
		e.Counters.Open.Add(1)
		target := lp.r.pick()
		c := e.NewConn(target, fd, local, remote)
		if target == lp {
			lp.adopt(c)
		} else {
			target.post(func(in *inbox) { in.adopt = append(in.adopt, c) })
		}
	}
	if lp.edge {
		lp.again = append(lp.again, l.Tag)
	}
}

// rest stops accepting on l for acceptPause.
func (lp *rloop) rest(l *Listener) {
	if !lp.edge {
		lp.b.Modify(l.Fd(), 0, l.Tag)
	}
	lp.resting = append(lp.resting, l)
	if lp.resumeAt == 0 {
		lp.resumeAt = Now() + int64(acceptPause)
	}
}

// resume accepts again on the listeners that rested.
func (lp *rloop) resume() {
	for _, l := range lp.resting {
		if !lp.owns2(l) {
			continue
		}
		if !lp.edge {
			lp.b.Modify(l.Fd(), Read, l.Tag)
		}
		lp.again = append(lp.again, l.Tag)
	}
	lp.resting, lp.resumeAt = nil, 0
}

func (lp *rloop) owns2(l *Listener) bool {
	i := uint32(l.Tag)
	return int(i) < len(lp.lns) && lp.lns[i] == l
}

// stop closes the loop's listeners and every connection (see Driver.Stop).
func (lp *rloop) stop(force bool) {
	lp.stopping = true
	lp.forced = lp.forced || force
	for _, l := range lp.lns {
		if l != nil {
			lp.dropListener(l)
		}
	}
	lp.resting, lp.resumeAt = nil, 0
	for i := range lp.slots.Len() {
		if c := lp.slots.At(uint32(i)).c; c != nil {
			c.Shut()
			if lp.forced {
				c.Abort()
			}
			lp.service(c, kickAll)
		}
	}
}
