//go:build !linux

package sigdriven

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestUnsupported: off Linux every constructor fails with an error that
// wraps errors.ErrUnsupported and names the model, the constructor and the
// platform.
func TestUnsupported(t *testing.T) {
	_, errNew := New(0)
	_, errDial := Dial("tcp", "127.0.0.1:1")
	_, errListen := Listen("tcp", "127.0.0.1:0")
	for fn, err := range map[string]error{"New": errNew, "Dial": errDial, "Listen": errListen} {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v does not wrap errors.ErrUnsupported", fn, err)
			continue
		}
		for _, want := range []string{"sigdriven." + fn + ":", runtime.GOOS + "/" + runtime.GOARCH} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", fn, err, want)
			}
		}
	}
}
