package multiplex_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
	"github.com/iomodel/iomodel/multiplex"
)

// idleEngineConns is how many idle connections BenchmarkEngineIdle holds:
// twice as many descriptors in this process, clients and server.
const idleEngineConns = 5000

// BenchmarkEngineIdle reports what an idle connection costs the Engine
// (epoll): live heap, allocations and resident memory per connection,
// after one round trip each (see conntest.BenchEngineIdle).
//
//	go test -run '^$' -bench EngineIdle -benchtime 1x -count 3 ./multiplex
func BenchmarkEngineIdle(b *testing.B) {
	n := idleEngineConns
	if testing.Short() {
		n = 500
	}
	conntest.BenchEngineIdle(b, modeltest.Of(multiplex.NewEngine), n)
}
