package sigdriven_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/sigdriven"
)

// TestNetwork runs conntest's network cases (Dial, Listen, Dialer,
// ListenConfig and net parity) in both modes.
func TestNetwork(t *testing.T) {
	for _, m := range []struct {
		name string
		opts []sigdriven.Option
	}{{"precise", nil}, {"broadcast", []sigdriven.Option{sigdriven.WithBroadcast()}}} {
		t.Run(m.name, func(t *testing.T) { conntest.RunNetwork(t, facadeNetwork(m.opts...)) })
	}
}
