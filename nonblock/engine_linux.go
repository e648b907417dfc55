package nonblock

import (
	"fmt"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// NewEngine makes an Engine that will call h. It refuses a nil h, a bad
// cfg and a bad EnginePolicy with an error naming what was wrong. Nothing
// runs until Serve.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	o := engineOptions{policy: DefaultEnginePolicy}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.policy.validate(); err != nil {
		return nil, fmt.Errorf("nonblock.NewEngine: WithEnginePolicy: %w", err)
	}
	e, err := loop.NewEngine(model, h, cfg, loop.DetachTo(func(fd int) (*Conn, error) { return New(fd) }))
	if err != nil {
		return nil, err
	}
	e.Drive(loop.NewReadiness(e, func() (loop.Backend, error) { return newAsker(o.policy), nil }))
	return &Engine{e: e}, nil
}
