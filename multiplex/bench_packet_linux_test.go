package multiplex_test

import (
	"net"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/multiplex"
)

// BenchmarkDatagrams is 64-byte UDP datagrams over loopback, counted as
// received: package net's UDPConn one at a time (the yardstick), this
// model's PacketConn one at a time, and in batches of 64 with
// WriteBatch/ReadBatch (sendmmsg/recvmmsg). The goal: batches at
// least 3× net's one-at-a-time rate. ns/op is per datagram.
func BenchmarkDatagrams(b *testing.B) {
	const size, batch = 64, 64
	// UDP drops what a full receive buffer cannot hold, so the reader
	// stops at b.N datagrams or when none has come for 200 ms, and the
	// datagrams lost are reported.
	run := func(b *testing.B, r deadliner, send func(n int) error, recv func(n int) (int, error)) {
		b.SetBytes(size)
		b.ReportAllocs()
		done := make(chan int, 1)
		go func() {
			got := 0
			for got < b.N {
				r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				n, err := recv(b.N - got)
				if err != nil {
					break
				}
				got += n
			}
			done <- got
		}()
		for sent := 0; sent < b.N; {
			n := min(batch, b.N-sent)
			if err := send(n); err != nil {
				b.Fatal(err)
			}
			sent += n
		}
		got := <-done
		b.ReportMetric(float64(b.N-got)/float64(b.N), "lost/op")
	}
	b.Run("net/one", func(b *testing.B) {
		r, w := netPair(b)
		buf, msg := make([]byte, size), make([]byte, size)
		run(b, r, func(n int) error {
			for range n {
				if _, err := w.WriteTo(msg, r.LocalAddr()); err != nil {
					return err
				}
			}
			return nil
		}, func(int) (int, error) { _, _, err := r.ReadFrom(buf); return 1, err })
	})
	b.Run("multiplex/one", func(b *testing.B) {
		r, w := modelPair(b)
		buf, msg := make([]byte, size), make([]byte, size)
		run(b, r, func(n int) error {
			for range n {
				if _, err := w.WriteTo(msg, r.LocalAddr()); err != nil {
					return err
				}
			}
			return nil
		}, func(int) (int, error) { _, _, err := r.ReadFrom(buf); return 1, err })
	})
	b.Run("multiplex/batch64", func(b *testing.B) {
		r, w := modelPair(b)
		out, in := make([]iomodel.Message, batch), make([]iomodel.Message, batch)
		for i := range out {
			out[i] = iomodel.Message{Buffers: [][]byte{make([]byte, size)}, Addr: r.LocalAddr()}
			in[i] = iomodel.Message{Buffers: [][]byte{make([]byte, size)}}
		}
		run(b, r, func(n int) error { _, err := w.WriteBatch(out[:n], 0); return err },
			func(left int) (int, error) { return r.ReadBatch(in[:min(batch, left)], 0) })
	})
}

type deadliner interface{ SetReadDeadline(time.Time) error }

func netPair(b *testing.B) (r, w net.PacketConn) {
	r, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	w, err = net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	r.(*net.UDPConn).SetReadBuffer(4 << 20)
	b.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func modelPair(b *testing.B) (r, w *multiplex.PacketConn) {
	r, err := multiplex.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	w, err = multiplex.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	r.SetReadBuffer(4 << 20)
	b.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}
