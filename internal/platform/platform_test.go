package platform

import (
	"errors"
	"runtime"
	"testing"
)

// The stubs off Linux return Unsupported; its message and wrapping are
// checked here, on Linux, through the same code, for the platforms the
// stubs are built for.
func TestUnsupported(t *testing.T) {
	for _, p := range []struct{ goos, goarch string }{{"darwin", "arm64"}, {"windows", "amd64"}, {"freebsd", "amd64"}} {
		err := unsupported("multiplex", "NewPoller", p.goos, p.goarch)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s/%s: errors.Is(%v, errors.ErrUnsupported) = false", p.goos, p.goarch, err)
		}
		want := "multiplex.NewPoller: the multiplex model runs on Linux only, and this program was built for " +
			p.goos + "/" + p.goarch + ": unsupported operation"
		if got := err.Error(); got != want {
			t.Errorf("message:\n got %q\nwant %q", got, want)
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Model != "multiplex" || pe.GOOS != p.goos {
			t.Errorf("errors.As(*Error) = %+v", pe)
		}
	}
	if err := Unsupported("async", "NewRing"); err.(*Error).GOOS != runtime.GOOS || err.(*Error).GOARCH != runtime.GOARCH {
		t.Errorf("Unsupported names %v, built for %s/%s", err, runtime.GOOS, runtime.GOARCH)
	}
	if !Supported {
		t.Errorf("Supported is false on %s", runtime.GOOS)
	}
}
