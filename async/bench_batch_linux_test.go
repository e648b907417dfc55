package async_test

import (
	"testing"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/conntest"
)

// BenchmarkDatagramBatches: 64-byte UDP datagrams on the loopback, one at a
// time and in batches of 64 (ReadBatch and WriteBatch: chains of RECVMSGs
// and SENDMSGs on the ring), beside package net's UDPConn one at a time and
// golang.org/x/net/ipv4's batches (conntest.BenchDatagrams): "spec" is the
// default Conn, whose calls try the system call (recvmmsg, sendmmsg) before
// the ring, "ring" one WithRingOnly, every call a request on the ring.
func BenchmarkDatagramBatches(b *testing.B) {
	b.Run("spec", func(b *testing.B) { conntest.BenchDatagrams(b, facadePacketNetwork()) })
	b.Run("ring", func(b *testing.B) { conntest.BenchDatagrams(b, facadePacketNetwork(async.WithRingOnly())) })
}
