package async

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
)

// idleEngineConns is how many idle connections BenchmarkEngineIdle holds:
// twice as many descriptors in this process, clients and server.
const idleEngineConns = 5000

// BenchmarkEngineIdle reports what an idle connection costs the Engine:
// live heap, allocations and resident memory per connection, after one
// round trip each (see conntest.BenchEngineIdle). The ring's requests
// are the kernel's memory, not counted here.
//
//	go test -run '^$' -bench EngineIdle -benchtime 1x -count 3 ./async
func BenchmarkEngineIdle(b *testing.B) {
	requireRing(b)
	n := idleEngineConns
	if testing.Short() {
		n = 500
	}
	conntest.BenchEngineIdle(b, modeltest.Of(NewEngine), n)
}
