//go:build !linux

package conntest

import (
	"time"

	"github.com/iomodel/iomodel/internal/platform"
)

func signalStorm(time.Duration) (func(), error) {
	return nil, platform.Unsupported("conntest", "signalStorm")
}
