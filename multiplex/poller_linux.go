package multiplex

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// ErrPollerClosed is wrapped by the error of a call that had to wait on a
// Poller that has been closed. The Conns of a closed Poller still read and
// write what is ready without waiting, and must still be closed.
var ErrPollerClosed = errors.New("multiplex: poller closed")

// A Poller waits for many descriptors on one OS thread and wakes the Conns
// waiting on them. It runs one Selector on one goroutine of its own, which
// blocks one thread at a time in the selector's wait; the Go runtime's
// netpoller never sees the descriptors. By default that goroutine may move
// between threads from one wait to the next, so the goroutines it wakes run
// at once on the thread that polled; WithLockedThread pins it to one thread
// for good.
//
// With epoll, each fd is added once, edge-triggered for reading, writing and
// peer shutdown (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), and the epoll set is
// not touched again until Close removes it before close(2): a Send or Recv
// makes no epoll_ctl call. Every edge latches a wake-up token in the
// matching direction of the Conn (iofd.Half.Ready), so readiness that lands
// between a call's EAGAIN and its wait is kept, not lost.
//
// With poll and select, which are level-triggered and pay for every fd they
// watch, an fd is watched only while a call waits on it: the call marks its
// direction wanted (waking the poller thread through the selector's eventfd
// if the thread is inside poll or select), and the poller thread unmarks it
// when it reports readiness.
//
// Every event carries a tag, slot and generation, so an event for a
// descriptor that was closed, and whose number the kernel already gave to a
// new Conn, is recognized and dropped.
//
// With WithShards(n), a Poller runs n such selectors, each on its own
// thread, and gives each new descriptor to the next one in turn.
//
// A Poller's methods are safe for concurrent use. Close it after its Conns;
// if it is closed first, their calls that must wait fail with an error
// wrapping ErrPollerClosed, nothing hangs, and Conn.Close still works.
type Poller struct {
	backend Backend
	shards  []*shard
	next    atomic.Uint32 // round robin over shards
	closed  atomic.Bool
}

// A shard is one selector and the goroutine that waits in it; a Poller has
// one or more (WithShards).
type shard struct {
	sel     Selector
	edge    bool          // epoll: registered once, edge-triggered; no wants
	locked  bool          // the goroutine holds its OS thread
	closed  atomic.Bool   // Poller.Close was called
	stopped atomic.Bool   // the goroutine stops or has stopped
	done    chan struct{} // closed when the poller goroutine has exited
	err     error         // why it stopped on its own; written before stopped

	waits, events, changes, stale atomic.Uint64
	tid                           atomic.Int32 // the poller thread, for tests

	mu    sync.Mutex
	slots []slot
	free  []uint32
	live  int
}

// A slot is one registered descriptor.
type slot struct {
	gen  uint32   // bumped when the slot is freed
	fd   int      // -1 when free
	ifd  *iofd.FD // nil until the Conn is made; then woken on events
	want Events   // poll/select: directions a call waits for
}

// A PollerOption configures NewPoller.
type PollerOption func(*pollerConfig)

type pollerConfig struct {
	backend Backend
	shards  int
	locked  bool
}

// WithBackend makes the Poller use b (Epoll by default).
func WithBackend(b Backend) PollerOption {
	return func(c *pollerConfig) { c.backend = b }
}

// WithShards makes the Poller run n selectors, each on its own thread, and
// spread its descriptors over them (round robin, in the order they are
// added): for when one thread cannot keep up, as with a thousand busy
// Conns. The default is 1, the model as the textbook draws it.
func WithShards(n int) PollerOption {
	return func(c *pollerConfig) { c.shards = n }
}

// WithLockedThread makes the Poller's goroutine hold one OS thread for its
// whole life (runtime.LockOSThread), the model exactly as the textbook draws
// it, for when that thread must stay the same (CPU affinity, scheduling
// priority, a thread-directed signal). It costs a thread hand-off per
// wake-up: the goroutines a locked poller wakes cannot run on its thread,
// so it must pass them, with its processor, to another thread and wait for
// one back. On two cores that made a thousand-connection echo about 1.4
// times slower, and a one-connection echo 4 times (see README.md).
//
// Without it (the default) the poller's goroutine still blocks one thread
// at a time in its selector, so neither way adds a thread; the difference is
// only who runs the goroutines it wakes: the thread that polled, as with
// the runtime's own netpoller.
func WithLockedThread() PollerOption {
	return func(c *pollerConfig) { c.locked = true }
}

// NewPoller starts a Poller: its selector and its goroutine (one of each
// per shard). Close stops them.
func NewPoller(opts ...PollerOption) (*Poller, error) {
	cfg := pollerConfig{shards: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.shards < 1 {
		return nil, fmt.Errorf("multiplex: NewPoller: %d shards, want at least 1", cfg.shards)
	}
	p := &Poller{backend: cfg.backend}
	for range cfg.shards {
		sh, err := newShard(cfg.backend, cfg.locked)
		if err != nil {
			for _, sh := range p.shards {
				sh.close()
			}
			return nil, err
		}
		p.shards = append(p.shards, sh)
	}
	return p, nil
}

func newShard(b Backend, locked bool) (*shard, error) {
	var sel Selector
	var err error
	switch b {
	case Epoll:
		sel, err = NewEpoll()
	case Poll:
		sel, err = NewPoll()
	case Select:
		sel, err = NewSelect()
	default:
		return nil, fmt.Errorf("multiplex: NewPoller: unknown backend %v", b)
	}
	if err != nil {
		return nil, err
	}
	p := &shard{sel: sel, edge: b == Epoll, locked: locked, done: make(chan struct{})}
	go p.run()
	return p, nil
}

// Stats reads the Poller's counters, summed over its shards.
func (p *Poller) Stats() PollerStats {
	var st PollerStats
	for _, sh := range p.shards {
		sh.add(&st)
	}
	return st
}

// Backend tells which system call the Poller waits in.
func (p *Poller) Backend() Backend { return p.backend }

// Shards is the number of selectors (and threads) the Poller runs.
func (p *Poller) Shards() int { return len(p.shards) }

// Close stops the Poller: its goroutines return (with WithLockedThread,
// taking their OS threads with them) and its selectors' fds are closed. Calls
// waiting on it return an error wrapping ErrPollerClosed, and so does a
// second Close. Its Conns must still be closed.
func (p *Poller) Close() error {
	if p.closed.Swap(true) {
		return fmt.Errorf("multiplex: Poller.Close: %w", ErrPollerClosed)
	}
	var errs []error
	for _, sh := range p.shards {
		errs = append(errs, sh.close())
	}
	return errors.Join(errs...)
}

// pick chooses the shard for a new descriptor.
func (p *Poller) pick() *shard {
	if len(p.shards) == 1 {
		return p.shards[0]
	}
	return p.shards[p.next.Add(1)%uint32(len(p.shards))]
}

// PollerStats counts what a Poller has done.
type PollerStats struct {
	// Waits is the number of selector waits (epoll_wait, poll, select
	// calls, less EINTR retries) that returned.
	Waits uint64
	// Events is the number of readiness events they reported.
	Events uint64
	// Changes is the number of changes to the selector's interest list:
	// with epoll, exactly the epoll_ctl calls (ADD and DEL once per fd,
	// never per Send or Recv); with poll and select, the Add, Modify and
	// Remove calls, two per wait that found EAGAIN.
	Changes uint64
	// Stale is the number of events dropped because their tag named a
	// registration that had ended: the fd was closed, and its number
	// perhaps reused, after the kernel queued the event.
	Stale uint64
}

// add adds the shard's counters to st.
func (p *shard) add(st *PollerStats) {
	st.Waits += p.waits.Load()
	st.Events += p.events.Load()
	st.Changes += p.changes.Load()
	st.Stale += p.stale.Load()
}

// close stops the shard's goroutine (and so its thread), closes its
// selector and wakes every call waiting on it.
func (p *shard) close() error {
	p.closed.Store(true)
	p.stopped.Store(true)
	p.sel.Wake()
	<-p.done
	err := p.sel.Close()
	p.wakeAll()
	return err
}

// wakeAll wakes every call waiting on the poller, so it retries and, if it
// must wait again, learns that the poller is closed.
func (p *shard) wakeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.slots {
		if s := &p.slots[i]; s.ifd != nil {
			s.ifd.Read.Ready()
			s.ifd.Write.Ready()
		}
	}
}

// run is the poller thread: wait, then wake whoever the events name.
func (p *shard) run() {
	// With WithLockedThread: locked, and never unlocked, so when run
	// returns, the runtime ends the
	// thread (runtime.LockOSThread), so a stopped Poller leaves no thread
	// behind. (If it ran on the main thread, which the process cannot
	// lose, the runtime parks that thread instead: still none is added.)
	if p.locked {
		runtime.LockOSThread()
		p.tid.Store(int32(unix.Gettid()))
	}
	defer close(p.done)
	events := make([]Event, 256)
	for {
		n, err := p.sel.Wait(events, -1)
		if p.stopped.Load() {
			return
		}
		if err != nil {
			// Not expected (the selector is ours and only Close closes
			// it): stop rather than spin, and fail every waiter.
			p.err = err
			p.stopped.Store(true)
			p.wakeAll()
			return
		}
		p.waits.Add(1)
		p.events.Add(uint64(n))
		p.dispatch(events[:n])
		if n > 0 {
			// Let the goroutines just woken run before blocking again.
			// They sit in this P's run queue, and the wait is about to
			// block holding the P (syscall.Syscall only marks it "in
			// syscall"): if every other P is busy or also in a syscall,
			// nothing runs them until sysmon retakes the P, 20 µs to
			// 10 ms later. Gosched on a locked goroutine hands the P, run
			// queue and all, to another thread at once (handoffp), and
			// this thread resumes when the P is free again; unlocked, the
			// woken goroutine runs right here and the poller goes on on
			// whichever thread is free next. Measured: round trips 1.5 to
			// 3 times faster, and no stalls with 1000 Conns.
			runtime.Gosched()
		}
	}
}

func (p *shard) dispatch(events []Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range events {
		i, gen := uint32(ev.Tag), uint32(ev.Tag>>32)
		if int(i) >= len(p.slots) || p.slots[i].gen != gen {
			p.stale.Add(1) // the fd was closed, its slot perhaps reused
			continue
		}
		s := &p.slots[i]
		if s.ifd == nil {
			continue // registered, its Conn not made yet: nobody waits
		}
		r := ev.Events&(Readable|HangUp|Error) != 0
		w := ev.Events&(Writable|HangUp|Error) != 0
		if r {
			s.ifd.Read.Ready()
		}
		if w {
			s.ifd.Write.Ready()
		}
		if !p.edge && s.want != 0 {
			old := s.want
			if r {
				s.want &^= Readable
			}
			if w {
				s.want &^= Writable
			}
			if s.want != old {
				p.changes.Add(1)
				p.sel.Modify(s.fd, s.want, ev.Tag)
			}
		}
	}
}

// handle names a registration: its slot and generation.
type handle struct {
	slot, gen uint32
}

func (h handle) tag() uint64 { return uint64(h.gen)<<32 | uint64(h.slot) }

// register adds fd to the selector: for good (edge-triggered) with epoll,
// watching nothing yet with poll and select. The Conn is attached later
// (attach), once it exists; on error nothing is left registered.
func (p *shard) register(fd int) (handle, error) {
	p.mu.Lock()
	if p.stopped.Load() {
		p.mu.Unlock()
		return handle{}, p.closedError()
	}
	var i uint32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		i = uint32(len(p.slots))
		p.slots = append(p.slots, slot{gen: 1})
	}
	s := &p.slots[i]
	s.fd, s.ifd, s.want = fd, nil, 0
	h := handle{slot: i, gen: s.gen}
	p.live++
	p.mu.Unlock()

	p.changes.Add(1)
	var err error
	if p.edge {
		err = p.sel.Add(fd, Readable|Writable|EdgeTriggered, h.tag())
	} else {
		err = p.sel.Add(fd, 0, h.tag())
	}
	if err != nil {
		p.release(h)
		return handle{}, err
	}
	return h, nil
}

// attach makes events for h wake ifd.
func (p *shard) attach(h handle, ifd *iofd.FD) {
	p.mu.Lock()
	if s := &p.slots[h.slot]; s.gen == h.gen {
		s.ifd = ifd
	}
	p.mu.Unlock()
}

// unregister removes h's fd from the selector (EPOLL_CTL_DEL) and frees the
// slot. It must run before the fd is closed: afterwards the number may
// belong to someone else.
func (p *shard) unregister(h handle) error {
	p.mu.Lock()
	s := &p.slots[h.slot]
	if s.gen != h.gen {
		p.mu.Unlock()
		return nil
	}
	fd := s.fd
	p.mu.Unlock()
	var err error
	if !p.closed.Load() {
		p.changes.Add(1)
		err = p.sel.Remove(fd)
	}
	if p.closed.Load() {
		err = nil // the selector is gone, and its registrations with it
	}
	p.release(h)
	return err
}

// release frees h's slot: events still carrying h's tag are dropped.
func (p *shard) release(h handle) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.slots[h.slot]
	if s.gen != h.gen {
		return
	}
	s.gen++
	if s.gen == 0 || s.gen == ^uint32(0) {
		s.gen = 1 // 0 is never used; all-ones with slot all-ones is WakeTag
	}
	s.fd, s.ifd, s.want = -1, nil, 0
	p.free = append(p.free, h.slot)
	p.live--
}

// want is what a call does after EAGAIN, before it waits: with poll and
// select, have the poller watch h's fd for d. With epoll the fd is always
// watched and this only checks that the poller still runs.
func (p *shard) want(h handle, d iofd.Dir) error {
	if p.stopped.Load() {
		return p.closedError()
	}
	if p.edge {
		return nil
	}
	e := Readable
	if d == iofd.Write {
		e = Writable
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.slots[h.slot]
	if s.gen != h.gen || s.want&e != 0 {
		return nil
	}
	s.want |= e
	p.changes.Add(1)
	if err := p.sel.Modify(s.fd, s.want, h.tag()); err != nil {
		if p.stopped.Load() {
			return p.closedError()
		}
		return err
	}
	return nil
}

// closedError is the error of a call that finds the poller stopped.
func (p *shard) closedError() error {
	if !p.closed.Load() && p.err != nil { // p.err is written before stopped
		return fmt.Errorf("%w: %w", ErrPollerClosed, p.err)
	}
	return ErrPollerClosed
}
