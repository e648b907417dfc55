//go:build !linux

package conntest

import (
	"net"
	"testing"
)

func testEngineOutOfDescriptors(t *testing.T, _ NewEngine) {
	t.Skip("lowering RLIMIT_NOFILE is checked on Linux only")
}

func testEngineOutOfDescriptorsAtTheLimit(t *testing.T, _ NewEngine) {
	t.Skip("lowering RLIMIT_NOFILE is checked on Linux only")
}

// smallBuffers is a plain Dialer here.
func smallBuffers(*testing.T, net.Listener) *net.Dialer { return &net.Dialer{Timeout: step} }
