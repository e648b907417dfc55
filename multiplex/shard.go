package multiplex

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/iomodel/iomodel/internal/iofd"
)

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

	// drainMu is held while events are taken and dispatched on an epoll
	// shard, by the poller goroutine or by a Conn about to park (pollNow);
	// drainBuf is pollNow's, used under it.
	drainMu  sync.Mutex
	drainBuf [64]Event
	pending  atomic.Bool // the poller saw events pending and has not taken them

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
