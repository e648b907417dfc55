//go:build race

package multiplex_test

// raceEnabled: the race detector's instrumentation allocates, so allocation
// counts are checked only without it.
const raceEnabled = true
