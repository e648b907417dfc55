package async_test

import (
	"testing"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/conntest"
)

// TestPacket runs conntest's datagram, descriptor-passing and zero-copy
// checks on this model's façade, with package net as the control.
func TestPacket(t *testing.T) {
	r, err := async.NewRing(16)
	if err != nil {
		t.Skipf("io_uring is not available here: %v", err)
	}
	r.Close()
	conntest.RunPacket(t, facadePacketNetwork())
}
