package async_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/internal/benchkit"
	"github.com/iomodel/iomodel/multiplex"
)

// ring starts a ring for one benchmark, or skips it with the reason.
func ring(b *testing.B) *async.Ring {
	b.Helper()
	r, err := async.NewRing(0)
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip(err.Error())
	}
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// impls is the async Conn beside benchkit's baselines (raw blocking
// read/write, and net.Conn on the runtime netpoller), each against the same
// blocking echo thread on the same kind of socketpair. The async contender
// reports the ring's io_uring_enter calls per operation.
func impls(b *testing.B, r *async.Ring) []benchkit.Impl {
	return append([]benchkit.Impl{{Name: "async", Open: func(tb testing.TB, fd int) (benchkit.SendRecver, func()) {
		c, err := async.New(fd, async.WithRing(r))
		if err != nil {
			tb.Fatal(err)
		}
		s0 := r.Stats()
		return c, func() {
			if b, ok := tb.(*testing.B); ok {
				s := r.Stats()
				b.ReportMetric(float64(s.Enters-s0.Enters)/float64(s.Ops-s0.Ops), "enters/op")
			}
			c.Close()
		}
	}}}, benchkit.Baselines()...)
}

// BenchmarkRoundTrip64 sends 64 bytes to an echo thread and reads them back.
func BenchmarkRoundTrip64(b *testing.B) {
	r := ring(b)
	defer r.Close()
	benchkit.RoundTrips(b, 64, impls(b, r))
}

// BenchmarkStream64K streams 64 KiB chunks through an echo thread.
func BenchmarkStream64K(b *testing.B) {
	r := ring(b)
	defer r.Close()
	benchkit.Streams(b, 64<<10, impls(b, r))
}

type side struct {
	name  string
	start func(b *testing.B) (wrap func(fd int) io.ReadWriteCloser, metric func(b *testing.B), stop func())
}

var sides = []side{
	{"net", func(b *testing.B) (func(int) io.ReadWriteCloser, func(*testing.B), func()) {
		return func(fd int) io.ReadWriteCloser {
			f := os.NewFile(uintptr(fd), "socketpair")
			c, err := net.FileConn(f) // the baseline only
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			return c
		}, nil, func() {}
	}},
	{"epoll", func(b *testing.B) (func(int) io.ReadWriteCloser, func(*testing.B), func()) {
		p, err := multiplex.NewPoller(multiplex.WithBackend(multiplex.Epoll))
		if err != nil {
			b.Fatal(err)
		}
		return func(fd int) io.ReadWriteCloser {
			c, err := multiplex.New(fd, multiplex.WithPoller(p))
			if err != nil {
				b.Fatal(err)
			}
			return c
		}, nil, func() { p.Close() }
	}},
	{"async", func(b *testing.B) (func(int) io.ReadWriteCloser, func(*testing.B), func()) {
		r := ring(b)
		s0 := r.Stats()
		return func(fd int) io.ReadWriteCloser {
				c, err := async.New(fd, async.WithRing(r))
				if err != nil {
					b.Fatal(err)
				}
				return c
			}, func(b *testing.B) {
				s := r.Stats()
				b.ReportMetric(float64(s.Enters-s0.Enters)/float64(s.Ops-s0.Ops), "enters/op")
			}, func() { r.Close() }
	}},
}

// BenchmarkEcho runs 1 KiB ping-pongs on many connections at once, both ends
// in the model under test; b.N is the total number of round trips, spread
// over the connections.
func BenchmarkEcho(b *testing.B) {
	const size = 1024
	for _, conns := range []int{1, 100, 1000} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			for _, s := range sides {
				b.Run(s.name, func(b *testing.B) {
					wrap, metric, stop := s.start(b)
					defer stop()
					benchkit.EchoMany(b, conns, size, wrap, func() {
						if metric != nil {
							metric(b)
						}
					})
				})
			}
		})
	}
}
