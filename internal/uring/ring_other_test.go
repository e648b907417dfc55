//go:build !linux

package uring

import (
	"errors"
	"testing"

	"github.com/iomodel/iomodel/internal/platform"
)

// TestNewUnsupported: off Linux, New and Default fail with the platform's
// error, which names the model and wraps errors.ErrUnsupported.
func TestNewUnsupported(t *testing.T) {
	_, err := New(Config{})
	_, derr := Default()
	for _, err := range []error{err, derr} {
		var pe *platform.Error
		if !errors.As(err, &pe) || !errors.Is(err, errors.ErrUnsupported) || pe.Model != "async" || pe.Func != "NewRing" {
			t.Errorf("err = %v, want platform.Unsupported(\"async\", \"NewRing\")", err)
		}
	}
}
