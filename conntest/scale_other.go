//go:build !linux

package conntest

import "testing"

func runScale(t *testing.T, pn PacketNetwork, idle int) {
	t.Skip("the scale check sets RLIMIT_NOFILE and counts on Linux's descriptor allocation")
}
