package async

import (
	"errors"
	"testing"

	"github.com/iomodel/iomodel/internal/iofd"
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
