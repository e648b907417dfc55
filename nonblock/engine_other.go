//go:build !linux

package nonblock

import (
	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/platform"
)

// NewEngine fails off Linux with an error wrapping errors.ErrUnsupported.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	return nil, platform.Unsupported(model, "NewEngine")
}
