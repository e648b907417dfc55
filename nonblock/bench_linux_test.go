package nonblock_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/benchkit"
	"github.com/iomodel/iomodel/nonblock"
)

// impls is this model beside the baselines: raw unix.Read/Write and net.Conn
// on the same kind of socketpair, against the same blocking echo peer.
func impls() []benchkit.Impl {
	open := func(fd int) (*nonblock.Conn, error) { return nonblock.New(fd) }
	return append([]benchkit.Impl{benchkit.ConnImpl("nonblock", open)}, benchkit.Baselines()...)
}

// BenchmarkRoundTrip64 sends 64 bytes to an echo thread and reads them back.
func BenchmarkRoundTrip64(b *testing.B) { benchkit.RoundTrips(b, 64, impls()) }

// BenchmarkStream64K streams 64 KiB chunks through an echo thread.
func BenchmarkStream64K(b *testing.B) { benchkit.Streams(b, 64<<10, impls()) }

// policies are the candidates DefaultPolicy was chosen from.
var policies = []struct {
	name   string
	policy nonblock.Policy
}{
	{"default", nonblock.DefaultPolicy},
	{"spin", nonblock.Spin},
	{"yield20", nonblock.Policy{Yields: 20, MinSleep: 50 * time.Microsecond, MaxSleep: 2 * time.Millisecond}},
	{"sleep", nonblock.Policy{MinSleep: 50 * time.Microsecond, MaxSleep: 2 * time.Millisecond}},
}

// BenchmarkPolicy is the round trip of BenchmarkRoundTrip64 under each
// candidate Policy: what each costs in latency (ns/op) and in wasted
// system calls (eagain/op).
func BenchmarkPolicy(b *testing.B) {
	for _, p := range policies {
		b.Run("policy="+p.name, func(b *testing.B) {
			fd, peer := benchkit.Socketpair(b)
			wait := benchkit.Echo(b, peer)
			c, err := nonblock.New(fd, nonblock.WithPolicy(p.policy))
			if err != nil {
				b.Fatal(err)
			}
			benchkit.RoundTrip(b, c, 64)
			b.ReportMetric(float64(c.Stats().Read.WouldBlock)/float64(b.N), "eagain/op")
			c.Close()
			wait()
		})
	}
}

// BenchmarkIdleRecv has a Recv wait one second for data that never comes
// (its deadline ends it) and reports the CPU the process spent meanwhile,
// as a percentage of one core: the price of asking again.
func BenchmarkIdleRecv(b *testing.B) {
	for _, p := range policies {
		if p.name == "spin" {
			continue // a whole core, by design
		}
		b.Run("policy="+p.name, func(b *testing.B) {
			fd, peer := benchkit.Socketpair(b)
			defer unix.Close(peer)
			c, err := nonblock.New(fd, nonblock.WithPolicy(p.policy))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var total float64
			buf := make([]byte, 64)
			for i := 0; i < b.N; i++ {
				c.SetReadDeadline(time.Now().Add(time.Second))
				total += benchkit.CPUFraction(func() {
					if _, err := c.Recv(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
						b.Fatalf("idle Recv: %v, want a timeout", err)
					}
				})
			}
			b.ReportMetric(100*total/float64(b.N), "%cpu")
			b.ReportMetric(float64(c.Stats().Read.Syscalls)/float64(b.N), "syscalls/s")
		})
	}
}
