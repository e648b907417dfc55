package sigdriven

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/benchkit"
)

// BenchmarkRoundTrip64: one 64-byte message to a blocking echo peer on an
// AF_UNIX stream socketpair and back, beside the standard library's
// net.Conn (net.FileConn, the runtime's netpoller) on the same kind of
// pair. (The other models' figures: iomodel bench, or their packages'
// benchmarks of the same name.)
func BenchmarkRoundTrip64(b *testing.B) {
	b.Run("net", func(b *testing.B) {
		x, y := benchkit.Socketpair(b)
		wait := benchkit.Echo(b, y)
		c := benchkit.NetConn(b, x)
		benchkit.RoundTrip(b, benchkit.NetSendRecv{Conn: c}, 64)
		c.Close()
		wait()
	})
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			x, y := benchkit.Socketpair(b)
			wait := benchkit.Echo(b, y)
			c, err := New(x, m.opts...)
			if err != nil {
				b.Fatal(err)
			}
			before := c.Stats().Read.Waits
			benchkit.RoundTrip(b, c, 64)
			b.ReportMetric(float64(c.Stats().Read.Waits-before)/float64(b.N), "waits/op")
			c.Close()
			wait()
		})
	}
}

// BenchmarkSpread1000: messages of 64 bytes spread round-robin over 1000
// connections, each with a goroutine in Recv, at most 1000 messages in
// flight (as from 1000 clients with a request each outstanding). It reports
// the wake-ups the dispatcher handed out per message (precise: about one;
// broadcast: every registered direction per SIGIO, fewer when SIGIOs
// merge), the sleeps per message, the wake-ups that found nothing to read,
// and the signals and overflows per message. (Without the window a writer
// faster than the readers fills the real-time queue: the kernel falls back
// to SIGIO, which the overflow test covers.)
func BenchmarkSpread1000(b *testing.B) {
	const conns, size = 1000, 64
	baselines(b, func(b *testing.B, open opener) { spread(b, conns, size, open) })
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			var cs []*Conn
			before := Signals()
			spread(b, conns, size, func(fd int) (benchkit.SendRecver, func()) {
				c, err := New(fd, m.opts...)
				if err != nil {
					b.Fatal(err)
				}
				cs = append(cs, c)
				return c, func() { c.Close() }
			})
			after := Signals()
			var waits uint64
			for _, c := range cs {
				waits += c.Stats().Read.Waits
			}
			n := float64(b.N)
			b.ReportMetric(float64(after.Precise-before.Precise+after.Broadcast-before.Broadcast)/n, "wakeups/msg")
			b.ReportMetric(float64(waits)/n, "waits/msg")
			b.ReportMetric(float64(after.Overflows-before.Overflows)/n, "overflows/msg")
			b.ReportMetric(float64(after.Signals-before.Signals+after.SIGIOs-before.SIGIOs)/n, "signals/msg")
			b.ReportMetric(float64(after.Spurious-before.Spurious)/n, "spurious/msg")
		})
	}
}

// spread runs b.N messages over conns pairs: raw blocking writers on one
// end, the Conns made by wrap on the other, each read by its own goroutine.
func spread(b *testing.B, conns, size int, wrap opener) {
	writers := make([]int, conns)
	readers := make([]benchkit.SendRecver, conns)
	closers := make([]func(), conns)
	for i := range writers {
		x, y := benchkit.Socketpair(b)
		writers[i] = x
		readers[i], closers[i] = wrap(y)
	}
	// Reader i expects its share of b.N messages; window bounds the
	// messages sent and not yet received.
	window := make(chan struct{}, conns)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i, r := range readers {
		want := (b.N / conns) * size
		if i < b.N%conns {
			want += size
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size*16)
			for got := 0; got < want; {
				n, err := r.Recv(buf)
				if err != nil {
					errs <- fmt.Errorf("conn %d: %w", i, err)
					return
				}
				for k := got / size; k < (got+n)/size; k++ {
					<-window
				}
				got += n
			}
		}()
	}
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		window <- struct{}{}
		if _, err := benchkit.Raw(writers[i%conns]).Send(msg); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	for i := range writers {
		closers[i]()
		unix.Close(writers[i])
	}
}

// BenchmarkHerd1000: 1000 connections each with a goroutine asleep in Recv,
// and one message at a time to one of them, the next only after it was
// received: every message finds every reader asleep. In precise mode the
// signal wakes its one reader; in broadcast mode every SIGIO wakes all of
// them (both directions), and all but one find nothing: the thundering herd.
func BenchmarkHerd1000(b *testing.B) {
	const conns, size = 1000, 64
	baselines(b, func(b *testing.B, open opener) { herd(b, conns, size, open) })
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			before := Signals()
			herd(b, conns, size, func(fd int) (benchkit.SendRecver, func()) {
				c, err := New(fd, m.opts...)
				if err != nil {
					b.Fatal(err)
				}
				return c, func() { c.Close() }
			})
			after := Signals()
			n := float64(b.N)
			b.ReportMetric(float64(after.Precise-before.Precise+after.Broadcast-before.Broadcast)/n, "wakeups/msg")
			b.ReportMetric(float64(after.Spurious-before.Spurious)/n, "spurious/msg")
		})
	}
}

func herd(b *testing.B, conns, size int, wrap opener) {
	writers := make([]int, conns)
	closers := make([]func(), conns)
	got := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range writers {
		x, y := benchkit.Socketpair(b)
		writers[i] = x
		var r benchkit.SendRecver
		r, closers[i] = wrap(y)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			for {
				_, err := r.Recv(buf)
				if err != nil {
					return // closed at the end
				}
				got <- nil
			}
		}()
	}
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := benchkit.Raw(writers[i%conns]).Send(msg); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	b.StopTimer()
	for i := range writers {
		closers[i]()
	}
	wg.Wait()
	for _, w := range writers {
		unix.Close(w)
	}
}

// An opener makes a connection of one end of a socketpair, and a function
// that closes it.
type opener = func(fd int) (benchkit.SendRecver, func())

// baselines runs body as the sub-benchmark "net" (net.Conn on the
// runtime's netpoller), the yardstick beside the signal-driven modes.
func baselines(b *testing.B, body func(b *testing.B, open opener)) {
	b.Run("net", func(b *testing.B) {
		body(b, func(fd int) (benchkit.SendRecver, func()) {
			c := benchkit.NetConn(b, fd)
			return benchkit.NetSendRecv{Conn: c}, func() { c.Close() }
		})
	})
}
