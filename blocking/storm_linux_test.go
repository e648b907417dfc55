package blocking_test

import (
	"net"
	"testing"

	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/internal/stormtest"
)

// TestResetStorm: healthy clients are not starved while connections are
// reset as fast as they open, on this package's Listener beside package
// net's (stormtest.Resets). Blocking completes about a third of net's
// round trips there (a thread per waiting call, and a trip through the
// run queue for each call that slept; see README.md), so the bound is an
// eighth: a guard against starvation, not a measure of the tail.
func TestResetStorm(t *testing.T) {
	stormtest.Run(t, func() (net.Listener, error) { return blocking.Listen("tcp", "127.0.0.1:0") }, 8)
}
