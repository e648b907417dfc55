//go:build !linux

package async

import (
	"github.com/iomodel/iomodel/internal/loop"
	"github.com/iomodel/iomodel/internal/platform"
)

// Off Linux there is no io_uring: NewEngine fails with platform's
// Unsupported error.
func newDriver(*loop.Engine, engineOptions) (loop.Driver, error) {
	return nil, platform.Unsupported(model, "NewEngine")
}
