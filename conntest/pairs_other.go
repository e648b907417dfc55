//go:build !linux

package conntest

import (
	"github.com/iomodel/iomodel/internal/platform"
)

// FDPair makes two connected raw descriptors of one kind, and says what the
// suite may expect of them.
type FDPair struct {
	Name   string
	Make   func() (a, b int, err error)
	Traits Traits
}

// FDPairs is the standard set of descriptor pairs; off Linux each one's Make
// fails, as the models do.
func FDPairs() []FDPair {
	fail := func() (int, int, error) { return -1, -1, platform.Unsupported("conntest", "FDPairs") }
	var pairs []FDPair
	for _, name := range []string{"unix-stream", "unix-seqpacket", "unix-dgram", "tcp", "udp", "pipe"} {
		pairs = append(pairs, FDPair{Name: name, Make: fail})
	}
	return pairs
}

func closeFDs(...int) {}

func closedFD() (int, error) { return -1, platform.Unsupported("conntest", "RunNew") }
