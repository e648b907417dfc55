//go:build linux

package models

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/iomodel/iomodel"
)

// Engine is a model's loop shape, as every model package's *Engine is: it
// accepts on listeners and calls a Handler back from its loops.
type Engine interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
	Stats() iomodel.EngineStats
}

// ErrNoEngine is wrapped by NewEngine's error for a model without a loop
// shape here.
var ErrNoEngine = errors.New("no loop shape")

// HasEngine tells whether the model has a loop shape in this build.
func (m Model) HasEngine() bool { return m.Engine != nil }

// NewEngine makes the model's engine around h: the model package's
// NewEngine with the variant's options. A model without one fails with an
// error wrapping ErrNoEngine that says why.
func (m Model) NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error) {
	if m.Engine == nil {
		why := "its engine is not in this build yet"
		if m.Family == "net" {
			why = "package net serves only with a goroutine per connection"
		}
		return nil, fmt.Errorf("model %s: %w: %s", m.Name, ErrNoEngine, why)
	}
	return m.Engine(h, cfg)
}

// engine adapts a model package's (*Engine, error) to (Engine, error)
// without turning a nil pointer into a non-nil interface.
func engine[E Engine](e E, err error) (Engine, error) {
	if err != nil {
		return nil, err
	}
	return e, nil
}
