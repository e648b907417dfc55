package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/internal/benchkit"
)

// impls is this model beside the baselines: raw unix.Read/Write and net.Conn
// on the same kind of socketpair, against the same blocking echo peer.
func impls() []benchkit.Impl {
	open := func(fd int) (*blocking.Conn, error) { return blocking.New(fd) }
	return append([]benchkit.Impl{benchkit.ConnImpl("blocking", open)}, benchkit.Baselines()...)
}

// BenchmarkRoundTrip64 sends 64 bytes to an echo thread and reads them back.
func BenchmarkRoundTrip64(b *testing.B) { benchkit.RoundTrips(b, 64, impls()) }

// BenchmarkStream64K streams 64 KiB chunks through an echo thread.
func BenchmarkStream64K(b *testing.B) { benchkit.Streams(b, 64<<10, impls()) }
