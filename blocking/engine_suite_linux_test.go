package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/conntest"
)

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) {
	conntest.RunEngine(t, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
		return blocking.NewEngine(h, cfg)
	})
}
