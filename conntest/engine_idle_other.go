//go:build !linux

package conntest

import "testing"

// BenchEngineIdle measures what an idle connection costs an Engine; see
// engine_idle_linux.go. Off Linux there is no Engine to measure.
func BenchEngineIdle(b *testing.B, ne NewEngine, conns int) {
	b.Skip("the engines run on Linux only")
}
