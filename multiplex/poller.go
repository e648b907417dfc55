package multiplex

import (
	"errors"
	"fmt"
	"sync/atomic"
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

// A PollerOption configures NewPoller.
type PollerOption func(*pollerOptions)

type pollerOptions struct {
	backend Backend
	shards  int
	locked  bool
}

// WithBackend makes the Poller use b (Epoll by default).
func WithBackend(b Backend) PollerOption {
	return func(c *pollerOptions) { c.backend = b }
}

// WithShards makes the Poller run n selectors, each on its own thread, and
// spread its descriptors over them (round robin, in the order they are
// added): for when one thread cannot keep up, as with a thousand busy
// Conns. The default is 1, the model as the textbook draws it.
func WithShards(n int) PollerOption {
	return func(c *pollerOptions) { c.shards = n }
}

// WithLockedThread makes the Poller's goroutine hold one OS thread for its
// whole life (runtime.LockOSThread), the model exactly as the textbook draws
// it, for when that thread must stay the same (CPU affinity, scheduling
// priority, a thread-directed signal). It costs a thread hand-off per
// wake-up: the goroutines a locked poller wakes cannot run on its thread,
// so it must pass them, with its processor, to another thread and wait for
// one back (README.md has what that costs in the echo benchmarks).
//
// Without it (the default) the poller's goroutine still blocks one thread
// at a time in its selector, so neither way adds a thread; the difference is
// only who runs the goroutines it wakes: the thread that polled, as with
// the runtime's own netpoller.
func WithLockedThread() PollerOption {
	return func(c *pollerOptions) { c.locked = true }
}

// NewPoller starts a Poller: its selector and its goroutine (one of each
// per shard). Close stops them.
func NewPoller(opts ...PollerOption) (*Poller, error) {
	o := pollerOptions{shards: 1}
	for _, opt := range opts {
		opt(&o)
	}
	return newPoller(o)
}

// check refuses options NewPoller cannot follow, naming the option.
func (o *pollerOptions) check() error {
	if o.shards < 1 {
		return fmt.Errorf("multiplex: NewPoller: WithShards(%d): want at least 1 shard", o.shards)
	}
	switch o.backend {
	case Epoll, Poll, Select:
	default:
		return fmt.Errorf("multiplex: NewPoller: WithBackend(%v): unknown backend", o.backend)
	}
	return nil
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
