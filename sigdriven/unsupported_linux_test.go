package sigdriven

import (
	"errors"
	"strings"
	"testing"
)

// TestUnsupportedError: the error every constructor returns off Linux
// (sigfd_other.go and iofd's stubs) names the model, the constructor and
// the platform, and wraps errors.ErrUnsupported. It is made here by the
// function the stubs call.
func TestUnsupportedError(t *testing.T) {
	for _, fn := range []string{"New", "Dial", "Listen"} {
		err := unsupported(fn)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v does not wrap errors.ErrUnsupported", fn, err)
		}
		for _, want := range []string{"sigdriven." + fn + ":", "Linux", "linux/"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", fn, err, want)
			}
		}
	}
}
