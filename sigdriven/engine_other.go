//go:build !linux

package sigdriven

import "github.com/iomodel/iomodel"

// NewEngine fails off Linux with an error wrapping errors.ErrUnsupported.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	return nil, unsupported("NewEngine")
}
