package async

import (
	"errors"
	"testing"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// TestBadInputWithoutRing: what fails before a ring is needed fails the
// same where io_uring is missing (under qemu-user, say): a negative
// descriptor, a negative ring size.
func TestBadInputWithoutRing(t *testing.T) {
	if _, err := New(-1); !errors.Is(err, iofd.ErrNegativeFD) {
		t.Errorf("New(-1): %v, want ErrNegativeFD", err)
	}
	if _, err := NewRing(-1); err == nil {
		t.Error("NewRing(-1) succeeded")
	}
}

// TestDefaultRingSize: the documented default is the ring's.
func TestDefaultRingSize(t *testing.T) {
	if DefaultRingSize != uring.DefaultCQEntries {
		t.Errorf("DefaultRingSize = %d, the ring's default is %d", DefaultRingSize, uring.DefaultCQEntries)
	}
}
