//go:build !linux

package async

import (
	"errors"
	"strings"
	"testing"
)

// TestUnsupportedHere: off Linux every constructor fails with an error
// wrapping errors.ErrUnsupported that names the model and the function.
func TestUnsupportedHere(t *testing.T) {
	_, errNew := New(0)
	_, errDial := Dial("tcp", "127.0.0.1:1")
	_, errListen := Listen("tcp", "127.0.0.1:0")
	_, errRing := NewRing(0)
	for fn, err := range map[string]error{"New": errNew, "Dial": errDial, "Listen": errListen, "NewRing": errRing} {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "async."+fn) {
			t.Errorf("%s: %v, want errors.ErrUnsupported naming async.%s", fn, err, fn)
		}
	}
}
