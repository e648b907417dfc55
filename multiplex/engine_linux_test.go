package multiplex_test

import (
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
