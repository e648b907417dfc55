package blocking

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// NewEngine makes an Engine that will call h. It refuses a nil h and a bad
// cfg with an error naming what was wrong. Nothing runs until Serve.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	var o engineOptions
	for _, opt := range opts {
		opt(&o)
	}
	e, err := loop.NewEngine(model, h, cfg, loop.DetachTo(New))
	if err != nil {
		return nil, err
	}
	e.Drive(&threads{e: e, conns: make(map[*connThread]struct{}), acceptors: make(map[*kernelSleep]struct{}), quit: make(chan struct{}), done: make(chan struct{})})
	return &Engine{e: e}, nil
}

// maxConns is how many connections an Engine serves at once: each holds a
// thread while it sleeps, and the Go runtime ends the process past 10000
// threads (debug.SetMaxThreads). Connections past it are closed at accept
// (EngineStats.Rejected).
const maxConns = 8000

// acceptPause is how long accepting rests when the process is out of
// descriptors and has no spare.
const acceptPause = 100 * time.Millisecond

// threads is the blocking Engine's loop.Driver: a goroutine per
// listener sleeping in ppoll(2) until a connection waits, and a goroutine
// per connection (connThread) sleeping in recv(2).
type threads struct {
	e  *loop.Engine
	wg sync.WaitGroup // acceptors and connections running

	mu        sync.Mutex
	conns     map[*connThread]struct{}
	acceptors map[*kernelSleep]struct{}
	stopping  bool
	forced    bool
	once      sync.Once
	quit      chan struct{} // closed by the first Stop
	done      chan struct{}
}

// Start is loop.Driver's: nothing runs before a connection comes.
func (d *threads) Start() error { return nil }

// Listen is loop.Driver's: a goroutine accepts on l.
func (d *threads) Listen(l *loop.Listener) error {
	s := new(kernelSleep)
	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		l.Close()
		return errors.New("the engine is shutting down")
	}
	d.acceptors[s] = struct{}{}
	d.wg.Add(1)
	d.mu.Unlock()
	d.e.Counters.Loops.Add(1)
	go d.accept(l, s)
	return nil
}

// accept takes l's connections, each to a goroutine of its own, until
// Stop.
func (d *threads) accept(l *loop.Listener, s *kernelSleep) {
	defer d.wg.Done()
	defer func() {
		d.e.Counters.Loops.Add(-1)
		d.mu.Lock()
		delete(d.acceptors, s)
		d.mu.Unlock()
		l.Close()
	}()
	for {
		gen := s.begin()
		d.mu.Lock()
		stopping := d.stopping
		d.mu.Unlock()
		if stopping {
			return
		}
		fd, local, remote, err := l.Accept()
		switch {
		case err == unix.EAGAIN:
			// Sleep until a connection waits: the listening socket's
			// open file may be non-blocking (it is the caller's too), so
			// accept4 cannot be the one to sleep.
			if e := s.ppoll(gen, l.Fd(), unix.POLLIN, nil); e != 0 && e != unix.EINTR {
				l.Fail(fmt.Errorf("%s.Serve: %w", model, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: e}))
				return
			}
			continue
		case errors.Is(err, loop.ErrNoDescriptors):
			d.rest()
			continue
		case err != nil:
			l.Fail(fmt.Errorf("%s.Serve: %w", model, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: err}))
			return
		}
		d.e.Counters.Accepted.Add(1)
		d.mu.Lock()
		if len(d.conns) >= maxConns {
			d.mu.Unlock()
			unix.Close(fd)
			d.e.Counters.Rejected.Add(1)
			continue
		}
		d.e.Counters.Open.Add(1)
		t := &connThread{d: d, wake: make(chan struct{}, 1)}
		t.c = d.e.NewConn(t, fd, local, remote)
		d.conns[t] = struct{}{}
		d.wg.Add(1)
		stopping, forced := d.stopping, d.forced
		d.mu.Unlock()
		go t.run(stopping, forced)
	}
}

// rest pauses accepting for acceptPause, or until Stop.
func (d *threads) rest() {
	t := time.NewTimer(acceptPause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.quit:
	}
}

// Stop is loop.Driver's: every acceptor and connection is interrupted and
// looks at its state: acceptors return, connections close (at once with
// force).
func (d *threads) Stop(force bool) {
	d.mu.Lock()
	d.stopping = true
	d.forced = d.forced || force
	conns := make([]*connThread, 0, len(d.conns))
	for t := range d.conns {
		conns = append(conns, t)
	}
	acceptors := make([]*kernelSleep, 0, len(d.acceptors))
	for s := range d.acceptors {
		acceptors = append(acceptors, s)
	}
	d.mu.Unlock()
	d.once.Do(func() {
		close(d.quit)
		go func() {
			d.wg.Wait()
			close(d.done)
		}()
	})
	for _, s := range acceptors {
		s.interrupt()
	}
	for _, t := range conns {
		t.c.Shut()
		if force {
			t.c.Abort()
		}
		t.interrupt()
	}
}

// Done is loop.Driver's.
func (d *threads) Done() <-chan struct{} { return d.done }

// forget takes a finished or detached connection out of the table.
func (d *threads) forget(t *connThread) {
	d.mu.Lock()
	delete(d.conns, t)
	d.mu.Unlock()
	d.e.Counters.Loops.Add(-1)
	d.wg.Done()
}

// A connThread is one connection's goroutine: A with his rod. It sleeps in
// recv(2) on the blocking socket, calls the Handler with what it got, and
// sleeps again; output another goroutine queued, Close, a moved deadline
// or Shutdown interrupt the sleep (kernelSleep). It is the Conn's
// loop.Owner.
type connThread struct {
	d    *threads
	c    *loop.Conn
	s    kernelSleep
	wake chan struct{} // one token: an interruption for park
	gid  atomic.Uint64 // the goroutine's number (loop.GoroutineID)

	rcvNone, sndNone bool // SO_RCVTIMEO, SO_SNDTIMEO are noTimeout (setTimeout)
}

// Goroutine is loop.Owner's: Detach from another goroutine fails.
func (t *connThread) Goroutine() uint64 { return t.gid.Load() }

// Kick is loop.Owner's: the goroutine looks at the Conn again, woken from
// its sleep if it sleeps.
func (t *connThread) Kick(*loop.Conn) { t.interrupt() }

func (t *connThread) interrupt() {
	t.s.interrupt()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Unwatch is loop.Owner's: the goroutine is the only watcher, and it stops
// once the callback that detached returns.
func (t *connThread) Unwatch(*loop.Conn) error { return nil }

// Watch is loop.Owner's.
func (t *connThread) Watch(*loop.Conn) error { return nil }

// firstBuffer is the size of a connection's read buffer until a read fills
// it: it doubles then, up to EngineConfig.ReadBuffer. The buffer is held
// while the goroutine sleeps in recv(2), so an idle connection holds this
// much, and a busy one no more than ReadBuffer.
const firstBuffer = 4 << 10

// run is the connection's life: OnOpen, then read, hand over, flush, until
// it is finished or detached.
func (t *connThread) run(stopping, forced bool) {
	c := t.c
	t.gid.Store(loop.GoroutineID())
	t.d.e.Counters.Loops.Add(1)
	defer t.d.forget(t)
	c.Open()
	if stopping {
		c.Shut()
		if forced {
			c.Abort()
		}
	}
	buf := make([]byte, min(firstBuffer, t.d.e.Config.ReadBuffer))
	for {
		gen := t.s.begin()
		c.Unkick()
		switch {
		case c.Detached():
			return
		case c.Finishing():
			c.Finish()
			return
		case c.Writing():
			t.flush(gen)
		case c.Reading():
			n := t.read(gen, buf)
			if n == len(buf) && n < t.d.e.Config.ReadBuffer {
				buf = make([]byte, min(2*n, t.d.e.Config.ReadBuffer))
			}
		default:
			// Closing or paused with nothing to send: only an
			// interruption changes that.
			t.park(gen)
		}
	}
}

// timeLeft is how long until c's next deadline, 0 for none, or ok false
// when it has passed (and has been applied).
func (t *connThread) timeLeft() (time.Duration, bool) {
	when := t.c.Deadline()
	if when == 0 {
		return 0, true
	}
	now := loop.Now()
	if when <= now {
		t.c.Expire(now)
		return 0, false
	}
	return time.Duration(when - now), true
}

// read sleeps in recv(2) until data, the end, an error, the deadline
// (SO_RCVTIMEO: EAGAIN) or an interruption, and acts on it. It returns
// how many bytes it handed to OnData.
func (t *connThread) read(gen uint32, buf []byte) int {
	c := t.c
	left, ok := t.timeLeft()
	if !ok {
		return 0
	}
	fd := c.Fd()
	if err := setTimeout(fd, unix.SO_RCVTIMEO, left, &t.rcvNone); err != nil {
		c.Fail("setsockopt", err)
		return 0
	}
	c.CountWait()
	r, e := t.s.syscall6(gen, unix.SYS_RECVFROM, uintptr(fd), unsafe.Pointer(unsafe.SliceData(buf)), uintptr(len(buf)), 0, 0, 0)
	n := int(r)
	t.d.e.Counters.Wakeups.Add(1)
	if e == unix.EINTR {
		return 0 // interrupted: look again
	}
	var err error
	if e != 0 {
		err = e
	}
	c.CountRead(n, err)
	switch {
	case e == unix.EAGAIN:
		c.Expire(loop.Now()) // the socket timeout: a deadline, perhaps moved since
	case e != 0:
		c.Fail("read", e)
	case n == 0:
		c.ReadEOF()
	default:
		c.Input(buf[:n])
	}
	return n
}

// flush sleeps in send(2) until the queued output is sent, the flush
// timeout passes (SO_SNDTIMEO) or an interruption, and acts on it.
func (t *connThread) flush(gen uint32) {
	c := t.c
	p := c.Head()
	if len(p) == 0 {
		return
	}
	left, ok := t.timeLeft()
	if !ok {
		return
	}
	fd := c.Fd()
	if err := setTimeout(fd, unix.SO_SNDTIMEO, left, &t.sndNone); err != nil {
		c.Fail("setsockopt", err)
		return
	}
	// MSG_NOSIGNAL: a closed peer is EPIPE, not a signal that kills the
	// process.
	r, e := t.s.syscall6(gen, unix.SYS_SENDTO, uintptr(fd), unsafe.Pointer(unsafe.SliceData(p)), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	n := int(r)
	switch {
	case n > 0:
		c.Sent(n) // a send interrupted after some bytes returns them
	case e == unix.EINTR:
	case e == unix.EAGAIN:
		c.Expire(loop.Now())
	case e != 0:
		c.Fail("write", e)
	}
}

// park waits for an interruption, or for the next deadline; a rare state
// (closing or paused with nothing to send) that only one ends.
func (t *connThread) park(gen uint32) {
	left, ok := t.timeLeft()
	if !ok || t.s.gen.Load() != gen {
		return
	}
	if left == 0 {
		left = noTimeout
	}
	timer := time.NewTimer(left)
	defer timer.Stop()
	select {
	case <-t.wake:
	case <-timer.C:
	}
}
