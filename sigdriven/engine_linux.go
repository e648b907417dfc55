package sigdriven

import (
	"fmt"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// NewEngine makes an Engine that will call h. It refuses a nil h, a bad
// cfg and a signal this package cannot own with an error naming what was
// wrong. Nothing runs until Serve.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	o := engineOptions{sig: DefaultSignal}
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkSignal(o.sig); err != nil {
		return nil, fmt.Errorf("sigdriven.NewEngine: WithEngineSignal(%d): %w", o.sig, err)
	}
	detach := loop.DetachTo(func(fd int) (*Conn, error) { return New(fd, WithSignal(o.sig)) })
	e, err := loop.NewEngine(model, h, cfg, detach)
	if err != nil {
		return nil, err
	}
	e.Drive(loop.NewReadiness(e, func() (loop.Backend, error) {
		w, err := newSigWaiter(o.sig)
		if err != nil {
			return nil, err
		}
		return w, nil
	}))
	return &Engine{e: e}, nil
}
