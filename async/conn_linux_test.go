package async

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/uring"
)

func TestMain(m *testing.M) {
	if os.Getenv(seccompChildEnv) != "" {
		os.Exit(seccompChild())
	}
	// IOMODEL_FORCE_NO_URING=1 makes io_uring_setup fail with EPERM, as
	// under Docker's default seccomp profile: the whole package must then
	// pass with every io_uring test skipped, giving the reason.
	if os.Getenv("IOMODEL_FORCE_NO_URING") != "" {
		uring.ForceSetupError(unix.EPERM)
	}
	// Examples cannot skip: where io_uring is unavailable, run only the
	// tests (which skip with the reason) unless -run says otherwise.
	if r, err := NewRing(0); err != nil {
		flag.Parse()
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			flag.Set("test.run", "^(Test|Fuzz)")
		}
		fmt.Fprintf(os.Stderr, "async: examples not run: %v\n", err)
	} else {
		r.Close()
	}
	goleak.VerifyTestMain(m)
}

// requireRing skips the test, with the reason, when io_uring is unavailable.
func requireRing(t testing.TB) {
	t.Helper()
	r, err := NewRing(0)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err.Error())
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// ownRing starts a ring of the given size for one test, closed when the
// test ends, or skips the test with the reason io_uring is unavailable.
func ownRing(t testing.TB, size int) *Ring {
	t.Helper()
	requireRing(t)
	r, err := NewRing(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func newConn(fd int) (iomodel.Conn, error) { return New(fd) }

// TestConformance runs the suite on the default Conn, which tries each call
// itself before the ring, and on one that puts every call on the ring.
func TestConformance(t *testing.T) {
	requireRing(t)
	var pairs []conntest.FDPair
	for _, p := range conntest.FDPairs() {
		switch p.Name {
		case "unix-stream", "unix-seqpacket", "unix-dgram", "tcp", "udp", "pipe":
			pairs = append(pairs, p)
		}
	}
	t.Run("speculative", func(t *testing.T) { conntest.RunFDs(t, newConn, pairs) })
	t.Run("ring-only", func(t *testing.T) {
		conntest.RunFDs(t, func(fd int) (iomodel.Conn, error) { return New(fd, WithRingOnly()) }, pairs)
	})
}

func TestNewBadInput(t *testing.T) {
	requireRing(t)
	conntest.RunNew(t, newConn)
}

// FuzzStream sends fuzzer-chosen bytes both ways through a socketpair in
// fuzzer-chosen pieces, and compares what arrives with go-cmp.
func FuzzStream(f *testing.F) {
	requireRing(f)
	conntest.FuzzStream(f, conntest.FromFDs(conntest.FDPairs()[0].Make, newConn))
}
