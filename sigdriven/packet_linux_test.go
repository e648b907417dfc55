package sigdriven_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// TestPacket runs conntest's datagram, descriptor-passing and zero-copy
// checks on this model's façade, with package net as the control.
func TestPacket(t *testing.T) { conntest.RunPacket(t, facadePacketNetwork()) }
