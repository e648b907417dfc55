//go:build !linux

package conntest

import "testing"

func testEngineOutOfDescriptors(t *testing.T, _ NewEngine) {
	t.Skip("lowering RLIMIT_NOFILE is checked on Linux only")
}
