package async

import (
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// requireRing skips the test, with the reason, when io_uring is unavailable.
func requireRing(t testing.TB) {
	t.Helper()
	r, err := NewRing(0)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

func newConn(fd int) (iomodel.Conn, error) { return New(fd) }

func TestConformance(t *testing.T) {
	requireRing(t)
	var pairs []conntest.FDPair
	for _, p := range conntest.FDPairs() {
		switch p.Name {
		case "unix-stream", "unix-seqpacket", "unix-dgram", "tcp", "udp", "pipe":
			pairs = append(pairs, p)
		}
	}
	conntest.RunFDs(t, newConn, pairs)
}
