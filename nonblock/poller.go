package nonblock

import (
	"runtime"
	"sync"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
)

// poller is the non-blocking model's "while (1)" over the devices: one
// goroutine that asks every waiting descriptor in turn whether it is
// ready, and wakes the call waiting on it when it is. A call that has used
// up its Policy's spins and yields hands its wait to the poller (wait) and
// parks on its Half's token; it comes back when the poller has found its
// descriptor ready, or when the Conn is closed or its deadline passes or
// moves.
//
// The question is asked with poll(2) and a zero timeout, up to pollBatch
// descriptors in one system call: the kernel answers at once, as recv(2)
// with MSG_DONTWAIT does, and never puts the poller to sleep. That keeps it
// the non-blocking model: the process learns of readiness only by asking,
// and the only waiting is the poller's own nap between rounds.
//
// A call that has just begun to wait is fresh: it is asked on every turn
// of the loop, and the turns back off as the Policy's sleeps do, from
// MinSleep doubling to MaxSleep while none is found ready. Once it has
// waited MaxSleep it is settled: the settled calls are asked in rounds, a
// batch at a time with the fresh ones asked between batches, and after
// each round the poller naps the Policy's sleep, but never less than
// napPerRound times what the round took. So a call waits for its answer
// about as long as the Policy's own back-off would make it, and however
// many calls wait, the poller spends at most a quarter of its time
// asking: with thousands waiting each settled one is asked less often, and
// on a busy machine, where a round takes longer because the poller waits
// for a CPU, less often still, so that the rest of the process keeps the
// CPUs. (Each call once asked on its own
// back-off, a timer and a system call per step: the machine's polling grew
// with the number of waiting calls until nothing else ran.)
//
// The goroutine starts with the first waiting call and ends when none is
// left. The methods are safe for concurrent use.
type poller struct {
	naps naps

	mu      sync.Mutex
	fresh   []*pollWait // each one's i is its index here, or in settled
	settled []*pollWait
	running bool // the goroutine runs (or is about to)
	napping bool // the goroutine naps and should be kicked for a fresh call
	added   bool // a fresh call came while the goroutine did not nap
	kick    chan struct{}

	// The goroutine's own, used without mu (one runs at a time): its nap's
	// timer, one batch's question, whom it is about and whom it found
	// ready. They outlive the goroutine, so that a poller started for
	// each wait (one Conn, waiting now and then) allocates nothing.
	timer *time.Timer
	pfds  []pollFd
	whose []*pollWait
	woken []*pollWait
}

// naps are the Policy's sleeps, which the poller takes between turns.
type naps struct{ min, max time.Duration }

// pollWait is one call waiting in the poller: the descriptor, which way it
// waits (POLLIN or POLLOUT) and the Half to wake. A Conn keeps one per
// direction, so waiting allocates nothing.
type pollWait struct {
	fd     int32
	events int16
	h      *iofd.Half
	// quiet are revents that do not wake this call, set by its waiter
	// before the wait: POLLERR, once a wake-up by POLLERR alone found
	// nothing to read (see waiter.Wait).
	quiet int16

	// Under poller.mu:
	i       int       // index in poller.fresh or poller.settled; -1: in neither
	settled bool      // which of the two
	since   time.Time // when it began to wait
	revents int16     // what woke it, if the poller did; 0 otherwise
}

// pollBatch is how many descriptors one poll(2) asks about: enough that
// the system call's own cost is spread thin, few enough that the fresh
// calls, asked between batches, are not kept waiting long.
const pollBatch = 256

// napPerRound is the least nap after a round of the settled calls, as a
// multiple of the time the round took: asking takes at most
// 1/(1+napPerRound) of the poller's time, and so of a CPU.
const napPerRound = 3

// yieldNap is the shortest nap worth a timer: a shorter one is a
// runtime.Gosched, which lets every other goroutine run first.
const yieldNap = 20 * time.Microsecond

// pollers are the pollers in use, one per pair of naps: Conns whose
// Policies sleep alike share one.
var pollers struct {
	sync.Mutex
	m map[naps]*poller
}

// pollerFor is the poller of Policy p's naps.
func pollerFor(p Policy) *poller {
	k := naps{p.MinSleep, p.MaxSleep}
	pollers.Lock()
	defer pollers.Unlock()
	if pollers.m == nil {
		pollers.m = make(map[naps]*poller)
	}
	pl := pollers.m[k]
	if pl == nil {
		pl = &poller{naps: k, kick: make(chan struct{}, 1)}
		pollers.m[k] = pl
	}
	return pl
}

// after is the nap after k+1 turns in a row that found nothing: min
// doubled k times, at most max; 1 ms when both are zero (the Policy's rule
// since the seed).
func (n naps) after(k int) time.Duration {
	d := n.max
	if k < 30 && n.min<<k < d {
		d = n.min << k
	}
	if d <= 0 {
		d = time.Millisecond
	}
	return d
}

// wait parks the calling goroutine, whose call on fd waits in h, until the
// poller finds fd ready in h's direction, the FD is closed, or h's
// deadline passes or moves (Half.Wait). w is the caller's own pollWait for
// h's direction; once wait returns, its revents say what the poller found
// (0 if the poller did not wake it). Must be called with h's lock held.
func (pl *poller) wait(w *pollWait, fd int, h *iofd.Half) {
	w.fd, w.h = int32(fd), h
	w.events = pollIn
	if h.Dir() == iofd.Write {
		w.events = pollOut
	}
	pl.add(w)
	h.Wait(0)
	pl.remove(w)
}

func (pl *poller) add(w *pollWait) {
	now := time.Now()
	pl.mu.Lock()
	w.since, w.settled, w.revents, w.i = now, false, 0, len(pl.fresh)
	pl.fresh = append(pl.fresh, w)
	start, kick := !pl.running, pl.napping
	if pl.running && !kick {
		pl.added = true
	}
	pl.running, pl.napping = true, false
	pl.mu.Unlock()
	switch {
	case start:
		go pl.run()
	case kick:
		pl.wake()
	}
}

// remove takes w out of its set if the poller has not already (it does
// when it wakes w), and wakes the poller to end if w was the last.
func (pl *poller) remove(w *pollWait) {
	pl.mu.Lock()
	last := false
	if w.i >= 0 {
		pl.drop(w)
		last = len(pl.fresh)+len(pl.settled) == 0
	}
	pl.mu.Unlock()
	if last {
		pl.wake()
	}
}

// wake kicks the goroutine out of its nap, or out of the next one: the
// kick is a token in a channel of one, kept until a nap takes it.
//
// No fresh call waits out a nap (TestPollerNeverStuck). add looks at
// napping under mu, and run sets it under mu after choosing its nap: a
// call added while the goroutine naps, or has chosen to, is kicked; one
// added during a turn sets added, and run, seeing it when it chooses its
// nap, turns again at once, since askFresh may have looked before the
// call came. (It used to nap then, up to MaxSleep, an hour in the test,
// with the new call not asked.) A kick that lands after the nap it was
// meant for ended costs the next nap, once.
func (pl *poller) wake() {
	select {
	case pl.kick <- struct{}{}:
	default:
	}
}

// set is the slice w is in. Under mu.
func (pl *poller) set(w *pollWait) *[]*pollWait {
	if w.settled {
		return &pl.settled
	}
	return &pl.fresh
}

// drop takes w out of its set, moving the set's last one into its place.
// Under mu.
func (pl *poller) drop(w *pollWait) {
	s := pl.set(w)
	last := len(*s) - 1
	moved := (*s)[last]
	(*s)[w.i] = moved
	moved.i = w.i
	(*s)[last] = nil
	*s = (*s)[:last]
	w.i = -1
}

// run is the poller's goroutine: turns and naps, until no call waits.
func (pl *poller) run() {
	var (
		idle   int       // turns in a row that found no fresh call ready
		barren int       // settled rounds in a row that found none ready
		due    time.Time // when the next settled round starts
	)
	for {
		found := pl.askFresh(time.Now())
		if !time.Now().Before(due) {
			settled, fresh, took := pl.round()
			found += fresh
			// Nap at least napPerRound times what the round took, and
			// the Policy's sleep if it found none ready.
			nap := napPerRound * took
			if settled == 0 {
				nap = max(nap, pl.naps.after(barren))
				barren++
			} else {
				barren = 0
			}
			due = time.Now().Add(nap)
		}

		pl.mu.Lock()
		if len(pl.fresh)+len(pl.settled) == 0 {
			pl.running, pl.added = false, false
			pl.mu.Unlock()
			return
		}
		var nap time.Duration
		switch {
		case pl.added:
			// A call came during this turn, perhaps after askFresh
			// looked: ask it now, as the kick would have had it napped.
			pl.added = false
			idle = 0
		case found > 0:
			idle = 0 // go on at once
		case len(pl.fresh) > 0:
			nap = pl.naps.after(idle)
			idle++
			if len(pl.settled) > 0 {
				nap = min(nap, time.Until(due))
			}
		default:
			idle = 0
			nap = time.Until(due)
		}
		if nap < yieldNap {
			pl.mu.Unlock()
			runtime.Gosched()
			continue
		}
		pl.napping = true
		pl.mu.Unlock()
		if pl.timer == nil {
			pl.timer = time.NewTimer(nap)
		} else {
			pl.timer.Reset(nap)
		}
		select {
		case <-pl.timer.C:
		case <-pl.kick:
			pl.timer.Stop()
			idle = 0
		}
		pl.mu.Lock()
		pl.napping = false
		pl.mu.Unlock()
	}
}

// round asks every settled call once, a batch at a time, and the fresh
// ones between batches. It reports how many of each it woke, and how long
// it took.
func (pl *poller) round() (settled, fresh int, took time.Duration) {
	start := time.Now()
	for next := 0; ; {
		pl.mu.Lock()
		if next >= len(pl.settled) {
			pl.mu.Unlock()
			return settled, fresh, time.Since(start)
		}
		settled += pl.ask(pl.settled, &next)
		fresh += pl.askFresh(time.Now())
	}
}

// askFresh asks every fresh call, wakes those found ready and settles
// those that have waited MaxSleep or longer. It reports how many it woke.
func (pl *poller) askFresh(now time.Time) int {
	found := 0
	for next := 0; ; {
		pl.mu.Lock()
		if next >= len(pl.fresh) {
			pl.settle(now)
			pl.mu.Unlock()
			return found
		}
		found += pl.ask(pl.fresh, &next)
	}
}

// settle moves the fresh calls that have waited MaxSleep or longer to the
// settled ones. Under mu.
func (pl *poller) settle(now time.Time) {
	age := max(pl.naps.max, time.Millisecond)
	for i := 0; i < len(pl.fresh); {
		w := pl.fresh[i]
		if now.Sub(w.since) < age {
			i++
			continue
		}
		pl.drop(w)
		w.settled, w.i = true, len(pl.settled)
		pl.settled = append(pl.settled, w)
	}
}

// ask asks about the batch of set from *next on, moves *next past it and
// wakes the calls found ready. It is called with mu held and returns with
// it released (poll(2) runs without it). It reports how many it woke.
func (pl *poller) ask(set []*pollWait, next *int) int {
	batch := set[*next:min(*next+pollBatch, len(set))]
	*next += len(batch)
	pl.pfds, pl.whose = pl.pfds[:0], pl.whose[:0]
	for _, w := range batch {
		pl.pfds = append(pl.pfds, pollFd{Fd: w.fd, Events: w.events})
		pl.whose = append(pl.whose, w)
	}
	pl.mu.Unlock()
	defer clear(pl.whose)

	if n, err := poll(pl.pfds); err != nil || n == 0 {
		// Nothing ready; or EINTR, ENOMEM: ask again next time.
		return 0
	}
	pl.woken = pl.woken[:0]
	pl.mu.Lock()
	for i := range pl.pfds {
		// A call that left meanwhile (closed, deadline) is in neither
		// set; one that came back since is, and a spurious wake-up
		// costs it one system call.
		if w, r := pl.whose[i], pl.pfds[i].Revents; r&^w.quiet != 0 && w.i >= 0 {
			pl.drop(w)
			w.revents = r
			pl.woken = append(pl.woken, w)
		}
	}
	pl.mu.Unlock()
	for _, w := range pl.woken {
		w.h.Ready()
	}
	return len(pl.woken)
}
