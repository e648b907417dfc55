package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// FuzzStream sends fuzzer-chosen bytes both ways through a socketpair in
// fuzzer-chosen pieces, and compares what arrives with go-cmp.
func FuzzStream(f *testing.F) {
	conntest.FuzzStream(f, conntest.FromFDs(conntest.FDPairs()[0].Make, newConn))
}
