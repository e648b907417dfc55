package async_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// BenchmarkDatagrams: 64-byte UDP datagrams one at a time, in batches of
// 64 and with GSO/GRO, beside package net's (conntest.BenchDatagrams).
func BenchmarkDatagrams(b *testing.B) { conntest.BenchDatagrams(b, facadePacketNetwork()) }
