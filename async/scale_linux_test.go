package async_test

import (
	"testing"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/conntest"
)

// TestScale: with conntest.DefaultScale idle connections each leaving a
// Recv waiting (conntest.ScaleEnv sets more: IOMODEL_SCALE=max go test
// -run TestScale ./async), new connections, datagrams and the idle ones
// are still served, and Accept at RLIMIT_NOFILE fails with EMFILE at once.
// On a ring of 64 (a CQ of 64 entries, 8 in the SQ) the waiting calls are
// six times what its queues hold: none may starve for want of room in
// them, as every Recv past about 7300 did on the default ring before.
func TestScale(t *testing.T) {
	r, err := async.NewRing(64)
	if err != nil {
		t.Skipf("io_uring is not available here: %v", err)
	}
	defer r.Close()
	t.Run("default-ring", func(t *testing.T) { conntest.RunScale(t, facadePacketNetwork(), 0) })
	t.Run("small-ring", func(t *testing.T) { conntest.RunScale(t, facadePacketNetwork(async.WithRing(r)), 0) })
	t.Run("small-ring-only", func(t *testing.T) {
		conntest.RunScale(t, facadePacketNetwork(async.WithRing(r), async.WithRingOnly()), 0)
	})
}
