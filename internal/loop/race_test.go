//go:build race

package loop

// raceEnabled: the race detector is on (its sync.Pool drops what is put
// back at random, so a pool is no promise of no allocation).
const raceEnabled = true
