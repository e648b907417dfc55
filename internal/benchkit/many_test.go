//go:build linux

package benchkit

import (
	"io"
	"testing"

	"golang.org/x/sys/unix"
)

// rawRWC drives a socketpair end with blocking read(2)/write(2).
type rawRWC struct{ Raw }

func (r rawRWC) Read(p []byte) (int, error)  { return r.Recv(p) }
func (r rawRWC) Write(p []byte) (int, error) { return r.Send(p) }
func (r rawRWC) Close() error {
	// shutdown(2) wakes the echo goroutine blocked in read(2) on the other end.
	unix.Shutdown(int(r.Raw), unix.SHUT_RDWR)
	return unix.Close(int(r.Raw))
}

// TestEchoManyReports: the percentiles and the fairness figures are there,
// ordered, and the round trips add up; and timing them allocates nothing.
func TestEchoManyReports(t *testing.T) {
	const conns = 4
	res := testing.Benchmark(func(b *testing.B) {
		EchoMany(b, conns, 64, func(fd int) io.ReadWriteCloser { return rawRWC{Raw(fd)} }, nil)
	})
	if res.N == 0 {
		t.Fatal("benchmark did not run")
	}
	m := res.Extra
	for _, k := range []string{"p50-ns", "p99-ns", "max-ns", "min-msgs/conn", "max-msgs/conn", "cpu-ns/msg"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s metric in %v", k, m)
		}
	}
	if !(0 < m["p50-ns"] && m["p50-ns"] <= m["p99-ns"] && m["p99-ns"] <= m["max-ns"]) {
		t.Errorf("latencies out of order: %v", m)
	}
	if !(m["min-msgs/conn"] <= m["max-msgs/conn"] && m["max-msgs/conn"] <= float64(res.N) && m["max-msgs/conn"]*conns >= float64(res.N)) {
		t.Errorf("messages per connection %v..%v for %d in all", m["min-msgs/conn"], m["max-msgs/conn"], res.N)
	}
	if a := res.AllocsPerOp(); a != 0 {
		t.Errorf("%d allocs/op", a)
	}
}
