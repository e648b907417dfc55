//go:build !race

package multiplex_test

const raceEnabled = false
