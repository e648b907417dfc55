//go:build !race

package bench

// raceDetector tells the tests that the race detector is on.
const raceDetector = false
