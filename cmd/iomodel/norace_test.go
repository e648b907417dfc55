//go:build !race

package main

// raceDetector tells the tests that the race detector is on.
const raceDetector = false
