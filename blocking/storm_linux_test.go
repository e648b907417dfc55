package blocking_test

import (
	"net"
	"testing"

	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/internal/stormtest"
)

// TestResetStorm: healthy clients are not starved while connections are
// reset as fast as they open, on this package's Listener beside package
// net's in the same run (stormtest.Resets).
func TestResetStorm(t *testing.T) {
	stormtest.Run(t, func() (net.Listener, error) { return blocking.Listen("tcp", "127.0.0.1:0") })
}
