package conntest

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

// The datagram benchmark's shape: 64-byte UDP datagrams, batches of 64.
const (
	benchDatagram = 64
	benchBatch    = 64
	// benchWindow bounds the datagrams in flight (sent, not yet
	// received), well inside the receiver's buffer, so that UDP drops
	// nothing and the figure is what the pair sustains, not how fast a
	// sender fills a queue that overflows.
	benchWindow = 2048
)

// gsoConn is what the GSO variant needs of a model's PacketConn.
type gsoConn interface {
	batcher
	SetGRO(on bool) error
	WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error)
}

// gsoOf is c's GSO and GRO: the model's own, or for net's UDPConn its
// WriteMsgUDP with the same control message, UDP_GRO set through
// SyscallConn and one ReadMsgUDP per "batch" (net has no batches).
func gsoOf(c net.PacketConn) gsoConn {
	if g, ok := c.(gsoConn); ok {
		return g
	}
	return netGSO{c.(*net.UDPConn)}
}

type netGSO struct{ *net.UDPConn }

func (g netGSO) SetGRO(on bool) error {
	rc, err := g.SyscallConn()
	if err != nil {
		return err
	}
	v := 0
	if on {
		v = 1
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, v) }); err != nil {
		return err
	}
	return serr
}

func (g netGSO) ReadBatch(ms []iomodel.Message, _ int) (int, error) {
	n, nn, flags, addr, err := g.ReadMsgUDP(ms[0].Buffers[0], ms[0].OOB)
	if err != nil {
		return 0, err
	}
	ms[0].N, ms[0].NN, ms[0].Flags, ms[0].Addr = n, nn, flags, addr
	return 1, nil
}

func (g netGSO) WriteBatch([]iomodel.Message, int) (int, error) { panic("unused") }

// BenchDatagrams measures 64-byte UDP datagrams over loopback, sent and
// received in one process, at most 2048 in flight so that none is lost:
// package net's UDPConn one at a time (the yardstick) and in batches of 64
// through golang.org/x/net/ipv4, then the model's PacketConn one at a
// time and with WriteBatch and ReadBatch of 64 (sendmmsg and recvmmsg);
// and both with UDP GSO and GRO: one WriteMsgUDP of 64 datagrams
// (iomodel.AppendGSO), received coalesced (net: one ReadMsgUDP a
// buffer; the model: a ReadBatch of 8 buffers). ns/op
// is per datagram; dgrams/s is what arrived per second.
func BenchDatagrams(b *testing.B, pn PacketNetwork) {
	sides := []packetSide{{"net", netPacketNetwork}, {"model", pn}}
	for _, s := range sides {
		b.Run(s.name+"/one", func(b *testing.B) {
			r, w := benchPacketPair(b, s)
			to := r.LocalAddr()
			msg, buf := make([]byte, benchDatagram), make([]byte, benchDatagram)
			runDatagrams(b, func(n int) (int, error) {
				for i := range n {
					if _, err := w.WriteTo(msg, to); err != nil {
						return i, err
					}
				}
				return n, nil
			}, func(int) (int, error) {
				_, _, err := r.ReadFrom(buf)
				return 1, err
			})
		})
		b.Run(s.name+"/batch64", func(b *testing.B) {
			r, w := benchPacketPair(b, s)
			send, recv := benchBatches(s, r, w)
			runDatagrams(b, send, recv)
		})
		b.Run(s.name+"/gso64", func(b *testing.B) {
			r, w := benchPacketPair(b, s)
			gr, gw := gsoOf(r), gsoOf(w)
			if err := gr.SetGRO(true); err != nil {
				b.Skipf("no UDP GRO: %v", err)
			}
			to := r.LocalAddr().(*net.UDPAddr)
			payload, oob := make([]byte, benchDatagram*benchBatch), iomodel.AppendGSO(nil, benchDatagram)
			in := benchMessages(nil, benchDatagram*benchBatch)[:8]
			for i := range in {
				in[i].OOB = make([]byte, iomodel.GROSpace)
			}
			runDatagrams(b, func(n int) (int, error) {
				_, _, err := gw.WriteMsgUDP(payload[:n*benchDatagram], oob, to)
				if err != nil {
					return 0, err
				}
				return n, nil
			}, func(int) (int, error) {
				k, err := gr.ReadBatch(in, 0)
				got := 0
				for _, m := range in[:k] {
					seg, ok := iomodel.GROSegment(m.OOB[:m.NN])
					if !ok || seg == 0 {
						got++
						continue
					}
					got += (m.N + seg - 1) / seg
				}
				return got, err
			})
		})
	}
}

// runDatagrams sends b.N datagrams in batches of up to 64 with send while
// a goroutine receives them with recv (which reports how many it took),
// the sender waiting while 2048 are in flight.
func runDatagrams(b *testing.B, send func(n int) (int, error), recv func(left int) (int, error)) {
	b.SetBytes(benchDatagram)
	b.ReportAllocs()
	var got atomic.Int64
	done := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for got.Load() < int64(b.N) {
			n, err := recv(b.N - int(got.Load()))
			if err != nil {
				done <- err
				return
			}
			got.Add(int64(n))
		}
		done <- nil
	}()
	for sent := 0; sent < b.N; {
		for int64(sent)-got.Load() > benchWindow {
			runtime.Gosched()
		}
		n, err := send(min(benchBatch, b.N-sent))
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	if err := <-done; err != nil {
		b.Fatalf("after %d of %d datagrams: %v", got.Load(), b.N, err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "dgrams/s")
}

// benchPacketPair is two UDP sockets of s on loopback: r receives, with
// a receive buffer the window fits in, and w sends.
func benchPacketPair(b *testing.B, s packetSide) (r, w net.PacketConn) {
	b.Helper()
	var err error
	if r, err = s.pn.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	if w, err = s.pn.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	if sb, ok := r.(interface{ SetReadBuffer(int) error }); ok {
		sb.SetReadBuffer(8 << 20)
	}
	// The deadline ends a receive that would wait for ever if the
	// window's accounting were wrong or a datagram were lost.
	r.SetReadDeadline(time.Now().Add(5 * time.Minute))
	return r, w
}

// benchBatches is WriteBatch from w to r and ReadBatch on r, 64 messages
// each: the model's own, or for net's UDPConn golang.org/x/net/ipv4's,
// their messages made once as for the model.
func benchBatches(s packetSide, r, w net.PacketConn) (send, recv func(n int) (int, error)) {
	out, in := benchMessages(r.LocalAddr(), benchDatagram), benchMessages(nil, benchDatagram)
	if br, ok := r.(batcher); ok && !s.isNet() {
		bw := w.(batcher)
		return func(n int) (int, error) { return bw.WriteBatch(out[:n], 0) },
			func(left int) (int, error) { return br.ReadBatch(in[:min(len(in), left)], 0) }
	}
	xr, xw := ipv4.NewPacketConn(r.(*net.UDPConn)), ipv4.NewPacketConn(w.(*net.UDPConn))
	xout, xin := make([]ipv4.Message, len(out)), make([]ipv4.Message, len(in))
	for i := range out {
		xout[i] = ipv4.Message{Buffers: out[i].Buffers, Addr: out[i].Addr}
		xin[i] = ipv4.Message{Buffers: in[i].Buffers}
	}
	return func(n int) (int, error) { return xw.WriteBatch(xout[:n], 0) },
		func(left int) (int, error) { return xr.ReadBatch(xin[:min(len(xin), left)], 0) }
}

// benchMessages is a batch of 64 messages of size bytes each, to to.
func benchMessages(to net.Addr, size int) []iomodel.Message {
	ms := make([]iomodel.Message, benchBatch)
	for i := range ms {
		ms[i] = iomodel.Message{Buffers: [][]byte{make([]byte, size)}, Addr: to}
	}
	return ms
}
