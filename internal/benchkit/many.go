//go:build linux

package benchkit

import (
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/benchkit/latency"
)

// EchoMany measures size-byte ping-pongs over conns connections at once,
// both ends of each made by wrap from an AF_UNIX socketpair: a server
// goroutine echoes on one end, a client goroutine sends and reads back on
// the other. b.N is the total number of round trips, spread over the
// connections. measured, if not nil, runs right after the timed part,
// before anything is closed (for metrics such as system calls per op).
// Besides time per round trip it reports the process's CPU time per round
// trip (cpu-ns/msg, getrusage) and the CPUs it kept busy on average (cpus),
// the round-trip latency of one message across every connection (p50-ns,
// p99-ns, max-ns, from a preallocated latency.Hist per connection, so timing costs
// one clock read per message and no allocation), and fairness: the b.N
// round trips are handed out one at a time to whichever connection asks
// next, so a model that starves some connections shows it in the fewest
// and most round trips one connection made (min-msgs/conn, max-msgs/conn;
// equal shares would be b.N/conns each).
func EchoMany(b *testing.B, conns, size int, wrap func(fd int) io.ReadWriteCloser, measured func()) {
	clients := make([]io.ReadWriteCloser, conns)
	servers := make([]io.ReadWriteCloser, conns)
	var echoes sync.WaitGroup
	for i := range clients {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		clients[i], servers[i] = wrap(fds[0]), wrap(fds[1])
		srv := servers[i]
		echoes.Go(func() {
			buf := make([]byte, size)
			for {
				n, err := srv.Read(buf)
				if err != nil {
					return
				}
				if _, err := srv.Write(buf[:n]); err != nil {
					return
				}
			}
		})
	}
	hists := make([]latency.Hist, conns)
	done := make([]int64, conns)
	var left atomic.Int64
	left.Store(int64(b.N))
	b.SetBytes(2 * int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, start := CPUTime(), time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			msg, buf := make([]byte, size), make([]byte, size)
			h := &hists[i]
			n := int64(0)
			defer func() { done[i] = n }()
			t0 := time.Now()
			for left.Add(-1) >= 0 {
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
					return
				}
				t1 := time.Now()
				h.Record(t1.Sub(t0))
				t0 = t1
				n++
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu, wall := CPUTime()-cpu0, time.Since(start)
	var all latency.Hist
	for i := range hists {
		all.Merge(&hists[i])
	}
	b.ReportMetric(float64(all.Quantile(0.50)), "p50-ns")
	b.ReportMetric(float64(all.Quantile(0.99)), "p99-ns")
	b.ReportMetric(float64(all.Max()), "max-ns")
	b.ReportMetric(float64(slices.Min(done)), "min-msgs/conn")
	b.ReportMetric(float64(slices.Max(done)), "max-msgs/conn")
	// Both ends, and any thread the model runs (poller, ring), are in this
	// process: CPU per message is the whole cost of a message, and CPUs in
	// use shows how much of the machine the model kept busy.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
	b.ReportMetric(float64(cpu)/float64(wall), "cpus")
	if measured != nil {
		measured()
	}
	for _, c := range clients {
		c.Close()
	}
	echoes.Wait()
	for _, c := range servers {
		c.Close()
	}
}
