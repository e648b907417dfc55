//go:build !linux

package sigdriven

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Off Linux no descriptor is ever taken: New fails here, and Dial and
// Listen fail in iofd, all with platform's Unsupported error; the rest
// exists so that the package compiles.

// sigFD has no signals here: fd is never set, as New never succeeds.
type sigFD struct {
	fd  *iofd.FD
	reg *registration
}

// registration holds only the counters here.
type registration struct{ regStats }

func (s *sigFD) open(int, options, net.Addr) error { return unsupported("New") }

// check finds nothing wrong here: every constructor fails as unsupported.
func (o options) check() error { return nil }
