package async_test

import (
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/iomodel/iomodel"
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

// impls is the async Conn (speculative by default, and ring-only) beside
// benchkit's baselines (raw blocking read/write, and net.Conn on the runtime
// netpoller), each against the same blocking echo thread on the same kind of
// socketpair. The async contenders report the ring's io_uring_enter calls
// per Send or Recv, and the share of those calls that went to the ring.
func impls(b *testing.B, r *async.Ring) []benchkit.Impl {
	return append([]benchkit.Impl{asyncImpl("async", r), asyncImpl("async-ring", r, async.WithRingOnly())}, benchkit.Baselines()...)
}

func asyncImpl(name string, r *async.Ring, opts ...async.Option) benchkit.Impl {
	return benchkit.Impl{Name: name, Open: func(tb testing.TB, fd int) (benchkit.SendRecver, func()) {
		c, err := async.New(fd, append(opts, async.WithRing(r))...)
		if err != nil {
			tb.Fatal(err)
		}
		s0 := r.Stats()
		return c, func() {
			if b, ok := tb.(*testing.B); ok {
				reportRing(b, s0, r.Stats(), c.Stats())
			}
			c.Close()
		}
	}}
}

// reportRing reports io_uring_enter calls per Send or Recv call, and the
// share of calls that were operations on the ring (the rest completed on
// the caller's speculative attempt).
func reportRing(b *testing.B, s0, s async.RingStats, st iomodel.Stats) {
	calls := float64(st.Read.Calls + st.Write.Calls)
	b.ReportMetric(float64(s.Enters-s0.Enters)/calls, "enters/call")
	b.ReportMetric(float64(s.Ops-s0.Ops)/calls, "ringops/call")
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
		return func(fd int) io.ReadWriteCloser { return benchkit.NetConn(b, fd) }, nil, func() {}
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
	asyncSide("async"),
	asyncSide("async-ring", async.WithRingOnly()),
}

// asyncSide is the async Conn on a ring of its own; it reports the ring's
// io_uring_enter calls per message and operations on the ring per message
// (a message is a Send and a Recv on each end).
func asyncSide(name string, opts ...async.Option) side {
	return side{name, func(b *testing.B) (func(int) io.ReadWriteCloser, func(*testing.B), func()) {
		r := ring(b)
		s0 := r.Stats()
		return func(fd int) io.ReadWriteCloser {
				c, err := async.New(fd, append(opts, async.WithRing(r))...)
				if err != nil {
					b.Fatal(err)
				}
				return c
			}, func(b *testing.B) {
				s := r.Stats()
				b.ReportMetric(float64(s.Enters-s0.Enters)/float64(b.N), "enters/msg")
				b.ReportMetric(float64(s.Ops-s0.Ops)/float64(b.N), "ringops/msg")
				b.ReportMetric(float64(s.Wakeups-s0.Wakeups)/float64(b.N), "wakeups/msg")
			}, func() { r.Close() }
	}}
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
