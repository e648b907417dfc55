package nonblock

import (
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/loop"
	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestAskerWakeNeverLost races Wake against a loop's Wait, round after
// round, with naps of an hour (no descriptor, so every Wait ends a dry
// round and naps): a Wake that lands before the nap, while Wait sets it
// up, or during it must end that Wait or the next. A lost one leaves the
// loop napping: the round fails, and a second Wake ends the nap.
func TestAskerWakeNeverLost(t *testing.T) {
	a := newAsker(Policy{MinSleep: time.Hour, MaxSleep: time.Hour})
	defer a.Close()
	evs := make([]loop.Event, 8)
	n := modeltest.WakeRounds(t, 500000, time.Second, func() { a.Wake() }, func() {
		if _, err := a.Wait(evs, -1); err != nil {
			t.Error(err)
		}
	}, func() { a.Wake() })
	t.Logf("%d rounds, %d naps", n, a.Naps)
}
