package nonblock_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/nonblock"
)

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) {
	conntest.RunEngine(t, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
		return nonblock.NewEngine(h, cfg)
	})
}
