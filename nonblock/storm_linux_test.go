package nonblock_test

import (
	"net"
	"testing"

	"github.com/iomodel/iomodel/internal/stormtest"
	"github.com/iomodel/iomodel/nonblock"
)

// TestResetStorm: healthy clients are not starved while connections are
// reset as fast as they open, on this package's Listener beside package
// net's (stormtest.Resets). They must complete at least a third of net's
// round trips: the poller measures 0.56–1.34 of net's, the back-off per
// waiting call it replaced 0.05–0.18 (see README.md).
func TestResetStorm(t *testing.T) {
	stormtest.Run(t, func() (net.Listener, error) { return nonblock.Listen("tcp", "127.0.0.1:0") }, 3)
}
