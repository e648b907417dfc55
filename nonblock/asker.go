package nonblock

import (
	"runtime"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/loop"
)

// An asker is how one loop of an Engine waits in the non-blocking model:
// it does not. The kernel never says which connection has data, so every
// round the asker hands the loop every descriptor it watches, and the loop
// asks each in turn (recv(2) with MSG_DONTWAIT, send(2) of its queued
// output): the seed's while(1) over its devices. The loop tells it after
// each batch how many descriptors had something (Found); a whole round
// that found nothing makes the next Wait back off under the Policy (spin,
// yield, then naps from MinSleep doubling to MaxSleep), and any find ends
// the back-off. So a busy connection is asked again within one round, an
// idle one within one nap, and an idle loop costs one recv(2) per
// connection per nap.
//
// It is a loop.Backend, level-triggered: the loop watches a descriptor
// only for what it wants at the moment. Add, Modify, Remove, Wait and
// Found run on the loop's goroutine; Wake from any.
type asker struct {
	p     Policy
	fds   []asked     // the descriptors watched, in the order they are asked
	index map[int]int // descriptor number to its place in fds
	next  int         // where the current round has got to in fds

	roundFound int // finds in the current round so far
	dry        int // rounds in a row that found nothing
	found      bool

	wake  chan struct{} // one token: a Wake not yet seen by Wait
	timer *time.Timer   // the nap's, reused

	// Rounds and Naps count the rounds asked and the naps taken.
	Rounds, Naps uint64
}

// asked is one watched descriptor.
type asked struct {
	fd  int
	in  loop.Interest
	tag uint64
}

var _ loop.Backend = (*asker)(nil)

func newAsker(p Policy) *asker {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &asker{p: p, index: make(map[int]int), wake: make(chan struct{}, 1), timer: t}
}

// Add is loop.Backend's.
func (a *asker) Add(fd int, in loop.Interest, tag uint64) error {
	a.index[fd] = len(a.fds)
	a.fds = append(a.fds, asked{fd, in, tag})
	a.found = true // ask it at once: it may have data already
	return nil
}

// Modify is loop.Backend's.
func (a *asker) Modify(fd int, in loop.Interest, tag uint64) error {
	if i, ok := a.index[fd]; ok {
		if in&^a.fds[i].in != 0 {
			a.found = true // a new interest is asked at once
		}
		a.fds[i].in, a.fds[i].tag = in, tag
	}
	return nil
}

// Remove is loop.Backend's: the last descriptor takes the removed one's
// place, so a round asks each exactly once.
func (a *asker) Remove(fd int) error {
	i, ok := a.index[fd]
	if !ok {
		return nil
	}
	delete(a.index, fd)
	last := len(a.fds) - 1
	if i != last {
		a.fds[i] = a.fds[last]
		a.index[a.fds[i].fd] = i
	}
	a.fds[last] = asked{}
	a.fds = a.fds[:last]
	if a.next > len(a.fds) {
		a.next = len(a.fds)
	}
	return nil
}

// Found is what the loop tells the asker after each batch of events: how
// many of them found data, room or a connection.
func (a *asker) Found(n int) {
	a.roundFound += n
	if n > 0 {
		a.found = true
	}
}

// Wait is loop.Backend's: it hands the loop the next descriptors of the
// round, each as ready for what it is watched for, after backing off if
// the last whole round found nothing.
func (a *asker) Wait(events []loop.Event, timeout time.Duration) (int, error) {
	if a.next >= len(a.fds) {
		// A round ended.
		a.Rounds++
		a.next = 0
		if a.roundFound == 0 && !a.found {
			a.dry++
		} else {
			a.dry = 0
		}
		a.roundFound, a.found = 0, false
		if a.dry > 0 && timeout != 0 {
			if a.backoff(timeout) {
				return 0, nil
			}
		}
	}
	select {
	case <-a.wake:
		a.dry = 0
	default:
	}
	n := 0
	for n < len(events) && a.next < len(a.fds) {
		f := &a.fds[a.next]
		a.next++
		if f.in == 0 {
			continue
		}
		events[n] = loop.Event{Tag: f.tag, Ready: f.in}
		n++
	}
	return n, nil
}

// backoff waits as the Policy says after a dry round: nothing for the
// first Spins dry rounds, a yield of the processor for the next Yields,
// then a nap from MinSleep doubling to MaxSleep, cut short by timeout (the
// loop's next timer) and by Wake. It reports whether Wake ended it.
func (a *asker) backoff(timeout time.Duration) bool {
	k := a.dry - 1
	p := &a.p
	switch {
	case k < p.Spins:
		return false
	case k-p.Spins < p.Yields:
		// Let the loop's other goroutines run, then let other threads
		// (the peers that will answer, often on this CPU) have the CPU,
		// as a Conn's yield does.
		runtime.Gosched()
		iofd.YieldThread()
		return false
	}
	d := p.MaxSleep
	if s := k - p.Spins - p.Yields; s < 30 && p.MinSleep<<s < d {
		d = p.MinSleep << s
	}
	if timeout > 0 && timeout < d {
		d = timeout
	}
	if d <= 0 {
		return false
	}
	a.Naps++
	a.timer.Reset(d)
	select {
	case <-a.wake:
		a.timer.Stop() // since Go 1.23 no stale tick is left in C
		a.dry = 0
		return true
	case <-a.timer.C:
		return false
	}
}

// Wake is loop.Backend's: it ends a nap at once, or the next one.
//
// No Wake is lost (TestAskerWakeNeverLost): the wake-up is a token in a
// channel of one, never a flag beside it. A token put before the nap is
// there when the nap's select looks, one put during it ends it; a token
// taken by Wait without a nap (after the back-off, or instead of it) is
// taken on the way back to the loop, which looks at its inbox next. Wait
// takes a token only where it returns without napping again, so none is
// taken for a nap that follows. A Wake that finds the token there already
// is one wake-up with it.
func (a *asker) Wake() error {
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close is loop.Backend's: the asker holds no descriptor of its own.
func (a *asker) Close() error {
	a.timer.Stop()
	return nil
}

// EdgeTriggered is loop.Backend's: a descriptor that has data is found
// again by every round.
func (a *asker) EdgeTriggered() bool { return false }
