//go:build linux

package benchkit

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Impl is one contender in a benchmark: how to drive a socket.
type Impl struct {
	Name string
	// Open takes fd (one end of a socketpair) and returns what drives it
	// and how to close it.
	Open func(tb testing.TB, fd int) (SendRecver, func())
}

// ConnImpl is the contender name, a Conn that open makes of the
// descriptor and Close closes: the usual shape of a model's entry.
func ConnImpl[C interface {
	SendRecver
	Close() error
}](name string, open func(fd int) (C, error)) Impl {
	return Impl{Name: name, Open: func(tb testing.TB, fd int) (SendRecver, func()) {
		c, err := open(fd)
		if err != nil {
			tb.Fatal(err)
		}
		return c, func() { c.Close() }
	}}
}

// Baselines are the contenders every model is set beside: plain blocking
// unix.Read/Write on the same descriptor (the floor), and the standard
// library's net.Conn.
func Baselines() []Impl {
	return []Impl{
		{Name: "raw", Open: func(tb testing.TB, fd int) (SendRecver, func()) {
			return Raw(fd), func() { unix.Close(fd) }
		}},
		{Name: "net", Open: func(tb testing.TB, fd int) (SendRecver, func()) {
			c := NetConn(tb, fd)
			return NetSendRecv{c}, func() { c.Close() }
		}},
	}
}

// RoundTrips runs RoundTrip with msgSize bytes for each contender, as
// sub-benchmarks named impl=NAME (compare them with benchstat -col /impl).
func RoundTrips(b *testing.B, msgSize int, impls []Impl) {
	each(b, impls, func(b *testing.B, c SendRecver) { RoundTrip(b, c, msgSize) })
}

// Streams runs Stream with chunk-sized sends for each contender.
func Streams(b *testing.B, chunk int, impls []Impl) {
	each(b, impls, func(b *testing.B, c SendRecver) { Stream(b, c, chunk) })
}

func each(b *testing.B, impls []Impl, run func(*testing.B, SendRecver)) {
	for _, impl := range impls {
		b.Run("impl="+impl.Name, func(b *testing.B) {
			fd, peer := Socketpair(b)
			wait := Echo(b, peer)
			c, closeFn := impl.Open(b, fd)
			run(b, c)
			b.StopTimer()
			closeFn()
			wait()
		})
	}
}

// CPUFraction runs f and reports the process's CPU time (user + system,
// from getrusage(2)) during it, as a fraction of the wall time it took.
func CPUFraction(f func()) float64 {
	c0 := CPUTime()
	start := time.Now()
	f()
	wall := time.Since(start)
	return float64(CPUTime()-c0) / float64(wall)
}

// CPUTime is the CPU time (user + system, getrusage(2)) the process has
// used so far, on every thread.
func CPUTime() time.Duration {
	var r unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
