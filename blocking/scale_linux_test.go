package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// TestScale: with conntest.DefaultScale idle connections each leaving a
// Recv waiting (conntest.ScaleEnv sets more: IOMODEL_SCALE=max go test
// -run TestScale ./blocking), new connections, datagrams and the idle ones
// are still served, and Accept at RLIMIT_NOFILE fails with EMFILE at once.
func TestScale(t *testing.T) { conntest.RunScale(t, facadePacketNetwork(), 0) }
