//go:build !linux

package conntest

import "testing"

// BenchZeroCopy measures sendfile(2) on Linux; here it skips.
func BenchZeroCopy(b *testing.B, nw Network) {
	b.Skip("the zero-copy benchmark uses Linux's sendfile(2) and getrusage(2)")
}
