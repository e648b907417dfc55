package sigdriven_test

import (
	"fmt"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/sigdriven"
)

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) {
	conntest.RunEngine(t, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
		return sigdriven.NewEngine(h, cfg)
	})
}

// BenchmarkEngineEcho: 64-byte round trips on the Engine, clients in this
// process (for the server's own CPU per message, see README.md).
func BenchmarkEngineEcho(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			conntest.BenchEngineEcho(b, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
				return sigdriven.NewEngine(h, cfg)
			}, n)
		})
	}
}
