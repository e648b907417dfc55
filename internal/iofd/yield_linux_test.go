package iofd

import "testing"

// TestSlowYieldTurnsYieldsOff: yields that come back late (the CPU was
// wanted by another process), slowPerWindow of a window, turn the yields
// off for yieldBackoff; quick ones, and one slow yield now and then, leave
// them on.
func TestSlowYieldTurnsYieldsOff(t *testing.T) {
	if Crowded() {
		t.Fatal("calls are parked at the start of the test")
	}
	reset := func() { yieldsOffUntil.Store(0); yields.Store(0); slowYields.Store(0) }
	defer reset()
	reset()
	quick := func() { now := nanotime(); yielded(now-slowYield/2, now) }
	slow := func() { now := nanotime(); yielded(now-2*slowYield, now) }
	// One slow yield in every window, for several windows: a noisy
	// machine, not a busy one.
	for range 4 * yieldWindow {
		if yields.Load() == 0 {
			slow()
		} else {
			quick()
		}
		if !ShouldYield(0) {
			t.Fatal("one slow yield a window turned the yields off")
		}
	}
	for range slowPerWindow {
		slow()
	}
	if ShouldYield(0) {
		t.Fatalf("%d slow yields in a row left the yields on", slowPerWindow)
	}
	// yieldBackoff later they are on again.
	yieldsOffUntil.Store(nanotime() - 1)
	if !ShouldYield(0) {
		t.Fatal("the yields stayed off after their back-off")
	}
	if ShouldYield(YieldSpins) {
		t.Fatal("ShouldYield past YieldSpins attempts")
	}
}
