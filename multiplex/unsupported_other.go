//go:build !linux

package multiplex

import "github.com/iomodel/iomodel/internal/platform"

// Off Linux no Selector or Poller is ever made: NewSelector, NewEpoll,
// NewPoll, NewSelect and NewPoller fail with platform's Unsupported error,
// and New, Dial and Listen fail in iofd the same way. The rest compiles,
// and none of it can be reached.

func openSelector(_ Backend, fn string) (Selector, error) {
	return nil, platform.Unsupported(model, fn)
}

func newPoller(pollerOptions) (*Poller, error) {
	return nil, platform.Unsupported(model, "NewPoller")
}

func (p *shard) pollNow() {}
