package async

import (
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// benchPair makes a Unix stream socketpair (or seqpacket) as two raw fds.
func benchPair(b *testing.B, typ int) (int, int) {
	b.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	return fds[0], fds[1]
}

// netPair is the baseline: the standard library's net.Conn on the same kind
// of socketpair (net.FileConn, so the runtime's netpoller drives it).
func netPair(b *testing.B, typ int) (net.Conn, net.Conn) {
	b.Helper()
	x, y := benchPair(b, typ)
	fa, fb := os.NewFile(uintptr(x), "a"), os.NewFile(uintptr(y), "b")
	ca, err := net.FileConn(fa)
	if err != nil {
		b.Fatal(err)
	}
	cb, err := net.FileConn(fb)
	if err != nil {
		b.Fatal(err)
	}
	fa.Close()
	fb.Close()
	return ca, cb
}

func asyncPair(b *testing.B, typ int) (*Conn, *Conn) {
	b.Helper()
	requireRing(b)
	x, y := benchPair(b, typ)
	ca, err := New(x)
	if err != nil {
		b.Fatal(err)
	}
	cb, err := New(y)
	if err != nil {
		b.Fatal(err)
	}
	return ca, cb
}

type rw interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	Close() error
}

// roundTrip: a writes 64 bytes, b echoes them, a reads them back.
func roundTrip(b *testing.B, a, c rw, size int) {
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, size)
		for {
			n, err := c.Read(buf)
			if err != nil {
				done <- nil
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				done <- err
				return
			}
		}
	}()
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Write(buf); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < size; {
			n, err := a.Read(buf[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	b.StopTimer()
	a.Close()
	<-done
	c.Close()
}

func BenchmarkRoundTrip64(b *testing.B) {
	b.Run("async", func(b *testing.B) {
		x, y := asyncPair(b, unix.SOCK_STREAM)
		roundTrip(b, x, y, 64)
		if s := x.RingStats(); s.Ops > 0 {
			b.ReportMetric(float64(s.Enters)/float64(s.Ops), "enters/op")
		}
	})
	b.Run("net", func(b *testing.B) {
		x, y := netPair(b, unix.SOCK_STREAM)
		roundTrip(b, x, y, 64)
	})
}

// throughput: a streams 64 KiB writes, c reads them.
func throughput(b *testing.B, a, c rw, size int) {
	done := make(chan error, 1)
	total := int64(b.N) * int64(size)
	go func() {
		buf := make([]byte, size)
		var got int64
		for got < total {
			n, err := c.Read(buf)
			if err != nil {
				done <- err
				return
			}
			got += int64(n)
		}
		done <- nil
	}()
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	a.Close()
	c.Close()
}

func BenchmarkThroughput64K(b *testing.B) {
	b.Run("async", func(b *testing.B) {
		x, y := asyncPair(b, unix.SOCK_STREAM)
		throughput(b, x, y, 64<<10)
	})
	b.Run("net", func(b *testing.B) {
		x, y := netPair(b, unix.SOCK_STREAM)
		throughput(b, x, y, 64<<10)
	})
}
