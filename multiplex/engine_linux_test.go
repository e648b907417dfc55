package multiplex_test

import (
	"fmt"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/multiplex"
)

// TestEngine runs the loop shape's suite on every backend.
func TestEngine(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []multiplex.EngineOption
	}{
		{"epoll", nil},
		{"epoll-level", []multiplex.EngineOption{multiplex.WithLevelTriggered()}},
		{"poll", []multiplex.EngineOption{multiplex.WithEngineBackend(multiplex.Poll)}},
		{"select", []multiplex.EngineOption{multiplex.WithEngineBackend(multiplex.Select)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conntest.RunEngine(t, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
				return multiplex.NewEngine(h, cfg, tc.opts...)
			})
		})
	}
}

// BenchmarkEngineEcho: 64-byte round trips on the Engine (epoll), clients
// in this process.
func BenchmarkEngineEcho(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			conntest.BenchEngineEcho(b, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
				return multiplex.NewEngine(h, cfg)
			}, n)
		})
	}
}
