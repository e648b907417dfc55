package modeltest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// WakeRounds races a wake-up against its sleeper, round after round, and
// fails t in the first round where the wake is lost. Each round starts
// wake on a goroutine of its own and calls sleep on the calling goroutine
// (the sleeper's: some sleep only on their own thread), so the wake lands
// before the sleeper looks, while it looks, or while it sleeps, as the
// scheduler has it; sleep must return once the wake has landed. A round
// whose sleep has not returned within Step has lost its wake: rescue is
// called, and again every Step/10 until the sleep returns (it must end
// the sleep by other means than the mechanism under test), and t fails
// with a message naming the round.
//
// It runs rounds rounds, or fewer when budget runs out first (a test
// sized for CI), and reports how many it ran.
func WakeRounds(t testing.TB, rounds int, budget time.Duration, wake, sleep, rescue func()) int {
	t.Helper()
	end := time.Now().Add(budget)
	var lost atomic.Bool
	for i := range rounds {
		if i%1024 == 0 && i > 0 && time.Now().After(end) {
			return i
		}
		var ended atomic.Bool
		rescued := make(chan struct{})
		timer := time.AfterFunc(Step, func() {
			defer close(rescued)
			lost.Store(true)
			for !ended.Load() {
				rescue()
				time.Sleep(Step / 10) // the rescue's cadence, not a wait for it
			}
		})
		var wg sync.WaitGroup
		var ready, start atomic.Bool
		wg.Go(func() {
			ready.Store(true)
			for !start.Load() {
				runtime.Gosched()
			}
			spin(i % jitter)
			wake()
		})
		// Both hot before the race: the wake then lands anywhere from
		// before the sleeper's first look to deep in its sleep.
		for !ready.Load() {
			runtime.Gosched()
		}
		start.Store(true)
		sleep()
		wg.Wait()
		ended.Store(true)
		if !timer.Stop() {
			<-rescued
		}
		if lost.Load() {
			t.Errorf("round %d: the sleeper slept on %v after its wake: the wake-up was lost", i, Step)
			return i + 1
		}
	}
	return rounds
}

// jitter is the spread, in spin steps, of how long after the sleeper
// starts the wake lands: from before its first look to well into its
// sleep, so every window between them is hit.
const jitter = 512

var sink atomic.Uint32

// spin busies the CPU for n steps.
func spin(n int) {
	x := uint32(n)
	for range n {
		x = x*1664525 + 1013904223
	}
	sink.Store(x)
}
