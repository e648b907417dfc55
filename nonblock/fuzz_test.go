package nonblock_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// FuzzStream sends fuzzer-chosen bytes both ways through a socketpair in
// fuzzer-chosen pieces, and compares what arrives with go-cmp.
func FuzzStream(f *testing.F) {
	f.Add([]byte("hello, world"), uint64(3))
	f.Add(make([]byte, 100000), uint64(4095))
	mp := conntest.FromFDs(conntest.FDPairs()[0].Make, newConn)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		p, err := mp()
		if err != nil {
			t.Fatal(err)
		}
		defer p.A.Close()
		defer p.B.Close()
		conntest.CheckStream(t, p, conntest.Traits{}, data, seed)
	})
}
