package sigdriven

import (
	"sync/atomic"

	"github.com/iomodel/iomodel/internal/iofd"
)

// A latch is one direction's wake-up point, in front of its iofd.Half: the
// dispatcher calls Ready, the waiting call (Driver.Wait) parks in the Half.
// The state word tells Ready whether a goroutine sleeps there, so that the
// dispatcher knows when it has woken one (and must let the scheduler run
// it, see dispatcher.run); and a wake-up that comes while nobody waits is
// kept for the next wait, like the Half's own token.
type latch struct {
	h     *iofd.Half
	state atomic.Uint32
	woke  bool // this call slept and was woken; under h's lock
}

const (
	latchFired  = 1 // a wake-up arrived and was not taken yet
	latchParked = 2 // the caller sleeps, or is about to, in h.Wait
)

// Ready latches a wake-up. It reports whether a parked caller was woken.
func (l *latch) Ready() bool {
	for {
		old := l.state.Load()
		if old&latchParked != 0 {
			l.h.Ready()
			return true
		}
		if old&latchFired != 0 || l.state.CompareAndSwap(old, old|latchFired) {
			return false
		}
	}
}

// wait returns after a wake-up, Close or the deadline (the caller's loop
// checks which). Only the call that holds h's lock calls it.
//
// No Ready is lost (TestLatchNeverLost). Both sides change state only by
// CAS, so each Ready is ordered against wait's one step: a Ready before it
// sets latchFired, which wait sees and takes (returning at once); a Ready
// after it sees latchParked and leaves h's token, which ends h.Wait or,
// if h.Wait has returned already, the next one. latchParked stays set
// until the Store below, so no Ready in between sets latchFired for that
// Store to wipe out: each goes to h, whose token keeps it.
func (l *latch) wait() {
	for {
		old := l.state.Load()
		if old&latchFired != 0 {
			// Fired between the EAGAIN and now: try again at once.
			if l.state.CompareAndSwap(old, 0) {
				return
			}
			continue
		}
		if l.state.CompareAndSwap(old, latchParked) {
			break
		}
	}
	l.h.Wait(0)
	// A Ready that saw latchParked after the wake-up left a token in h:
	// the next wait returns at once, and the call just tries again.
	l.state.Store(0)
}
