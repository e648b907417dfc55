//go:build !linux

package load

import (
	"errors"
	"time"
)

// CPUTime is 0 off Linux, where the models do not run.
func CPUTime() time.Duration { return 0 }

// RaiseNoFile does nothing off Linux.
func RaiseNoFile() (uint64, error) {
	return 0, errors.ErrUnsupported
}
