package async_test

import (
	"errors"
	"testing"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/conntest"
)

// TestNetwork runs the suite's network cases (Dial, Listen, Dialer,
// ListenConfig, net parity) on the default Conns and on ring-only ones.
func TestNetwork(t *testing.T) {
	if r, err := async.NewRing(0); errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err.Error())
	} else if err != nil {
		t.Fatal(err)
	} else {
		r.Close()
	}
	t.Run("speculative", func(t *testing.T) { conntest.RunNetwork(t, facadeNetwork()) })
	t.Run("ring-only", func(t *testing.T) { conntest.RunNetwork(t, facadeNetwork(async.WithRingOnly())) })
}
