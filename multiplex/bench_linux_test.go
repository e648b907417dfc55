package multiplex_test

import (
	"io"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/benchkit"
	"github.com/iomodel/iomodel/multiplex"
)

// A side is one way of turning a raw socketpair end into a connection: the
// standard library's net.Conn (the baseline, on the runtime netpoller) or a
// multiplex Conn on a Poller of one backend.
type side struct {
	name string
	// start returns the wrapper and a function to stop what it started.
	start func(b *testing.B) (wrap func(fd int) io.ReadWriteCloser, ctl func() uint64, stop func())
}

var sides = []side{
	{"net", func(b *testing.B) (func(int) io.ReadWriteCloser, func() uint64, func()) {
		return func(fd int) io.ReadWriteCloser { return benchkit.NetConn(b, fd) }, nil, func() {}
	}},
	pollerSide(multiplex.Epoll, 1, false),
	pollerSide(multiplex.Epoll, 1, true),
	pollerSide(multiplex.Epoll, 4, false),
	pollerSide(multiplex.Poll, 1, false),
	pollerSide(multiplex.Select, 1, false),
}

func pollerSide(backend multiplex.Backend, shards int, locked bool) side {
	name := backend.String()
	opts := []multiplex.PollerOption{multiplex.WithBackend(backend), multiplex.WithShards(shards)}
	if shards > 1 {
		name += "-shards" + strconv.Itoa(shards)
	}
	if locked {
		name += "-locked"
		opts = append(opts, multiplex.WithLockedThread())
	}
	return side{name, func(b *testing.B) (func(int) io.ReadWriteCloser, func() uint64, func()) {
		p, err := multiplex.NewPoller(opts...)
		if err != nil {
			b.Fatal(err)
		}
		return func(fd int) io.ReadWriteCloser {
				c, err := multiplex.New(fd, multiplex.WithPoller(p))
				if err != nil {
					b.Fatal(err)
				}
				return c
			}, func() uint64 { return p.Stats().Changes },
			func() { p.Close() }
	}}
}

// pollerKinds are the Pollers the Conn's tests and benchmarks run on:
// each backend, and epoll with its waiting goroutine on a locked thread.
var pollerKinds = []struct {
	name string
	opts []multiplex.PollerOption
}{
	{"epoll", nil},
	{"epoll-locked", []multiplex.PollerOption{multiplex.WithLockedThread()}},
	{"poll", []multiplex.PollerOption{multiplex.WithBackend(multiplex.Poll)}},
	{"select", []multiplex.PollerOption{multiplex.WithBackend(multiplex.Select)}},
}

// impls is the multiplex Conn on a Poller of each backend, beside the
// baselines (raw blocking read/write, and net.Conn on the runtime's
// netpoller), each against benchkit's blocking echo thread.
func impls(b *testing.B) (impls []benchkit.Impl, stop func()) {
	var pollers []*multiplex.Poller
	for _, c := range pollerKinds {
		p, err := multiplex.NewPoller(c.opts...)
		if err != nil {
			b.Fatal(err)
		}
		pollers = append(pollers, p)
		impls = append(impls, benchkit.Impl{Name: c.name, Open: func(tb testing.TB, fd int) (benchkit.SendRecver, func()) {
			c, err := multiplex.New(fd, multiplex.WithPoller(p))
			if err != nil {
				tb.Fatal(err)
			}
			ctl0 := p.Stats().Changes
			return c, func() {
				if b, ok := tb.(*testing.B); ok {
					b.ReportMetric(float64(p.Stats().Changes-ctl0)/float64(b.N), "ctl/op")
				}
				c.Close()
			}
		}})
	}
	return append(impls, benchkit.Baselines()...), func() {
		for _, p := range pollers {
			p.Close()
		}
	}
}

// BenchmarkRoundTrip64 sends 64 bytes to an echo thread and reads them back.
func BenchmarkRoundTrip64(b *testing.B) {
	impls, stop := impls(b)
	defer stop()
	benchkit.RoundTrips(b, 64, impls)
}

// BenchmarkStream64K streams 64 KiB chunks through an echo thread.
func BenchmarkStream64K(b *testing.B) {
	impls, stop := impls(b)
	defer stop()
	benchkit.Streams(b, 64<<10, impls)
}

// BenchmarkEcho runs 1 KiB ping-pongs on many connections at once; b.N is
// the total number of round trips, spread over the connections.
func BenchmarkEcho(b *testing.B) {
	const size = 1024
	for _, conns := range []int{1, 100, 1000} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			for _, s := range sides {
				b.Run(s.name, func(b *testing.B) {
					if s.name == "select" && 2*conns >= 1024 {
						b.Skipf("%d fds: select(2) cannot watch fds ≥ FD_SETSIZE (1024)", 2*conns)
					}
					wrap, ctl, stop := s.start(b)
					defer stop()
					var ctl0 uint64
					if ctl != nil {
						ctl0 = ctl()
					}
					benchkit.EchoMany(b, conns, size, wrap, func() {
						if ctl != nil {
							b.ReportMetric(float64(ctl()-ctl0)/float64(b.N), "ctl/op")
						}
					})
				})
			}
		})
	}
}

// BenchmarkSelectorWait is one Wait that finds one ready fd among n idle
// ones: epoll's cost does not grow with n, poll's and select's does (they
// pass and scan every watched fd on each call).
func BenchmarkSelectorWait(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func() (multiplex.Selector, error)
	}{{"epoll", multiplex.NewEpoll}, {"poll", multiplex.NewPoll}, {"select", multiplex.NewSelect}} {
		for _, n := range []int{10, 100, 450} { // select: 2n+1 fds stay below FD_SETSIZE
			b.Run(backend.name+"/fds="+strconv.Itoa(n), func(b *testing.B) {
				s, err := backend.open()
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var all []int
				defer func() {
					for _, fd := range all {
						unix.Close(fd)
					}
				}()
				for i := range n {
					fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err != nil {
						b.Fatal(err)
					}
					all = append(all, fds[0], fds[1])
					if err := s.Add(fds[0], multiplex.Readable, uint64(i)); err != nil {
						b.Fatal(err)
					}
				}
				unix.Write(all[len(all)-1], []byte("x")) // the last one is ready
				events := make([]multiplex.Event, 8)
				b.ReportAllocs()
				for b.Loop() {
					if k, err := s.Wait(events, -1); k != 1 || err != nil {
						b.Fatalf("Wait = %d, %v", k, err)
					}
				}
			})
		}
	}
}
