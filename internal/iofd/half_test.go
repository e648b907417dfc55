package iofd

import (
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestHalfReadyNeverLost races Ready against Wait, round after round, on
// one Half (its wake channel made by the first Wait) and on a new Half
// each round (Ready then may find no channel yet, and Wait must see
// latched): a Ready that lands before Wait looks at latched, between its
// look and its park, or during the park must end that Wait or the next.
// A lost one leaves the call parked: the round fails, and a value put in
// the channel by the test ends the park.
func TestHalfReadyNeverLost(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		name := "one Half"
		if fresh {
			name = "a new Half each round"
		}
		t.Run(name, func(t *testing.T) {
			h := new(Half)
			n := modeltest.WakeRounds(t, 500000, time.Second/2, func() { h.Ready() }, func() {
				h.Wait(0)
				if fresh {
					h = new(Half)
				}
			}, func() { h.Token() <- struct{}{} })
			t.Logf("%d rounds", n)
		})
	}
}
