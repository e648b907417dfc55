//go:build !linux

package conntest

import "testing"

// BenchDatagrams measures UDP datagrams on Linux; here it skips.
func BenchDatagrams(b *testing.B, pn PacketNetwork) {
	b.Skip("the datagram benchmark uses Linux's UDP offload and batches")
}
