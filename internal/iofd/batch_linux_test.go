package iofd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

func TestBatches(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, _ := packetPair(t, m, "udp4", "127.0.0.1:0")
			peer := client(t, "udp4")
			// Three datagrams in, a batch of eight: partly filled.
			for i := 0; i < 3; i++ {
				peer.WriteTo([]byte(fmt.Sprintf("dgram %d", i)), fd.LocalAddr())
			}
			ms := make([]Message, 8)
			for i := range ms {
				ms[i].Buffers = [][]byte{make([]byte, 4), make([]byte, 60)}
				ms[i].OOB = make([]byte, 64)
			}
			fd.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := 0
			for got < 3 {
				n, err := fd.ReadBatch(ms[got:], 0)
				if err != nil || n < 1 {
					t.Fatalf("ReadBatch = %d, %v", n, err)
				}
				got += n
			}
			for i := 0; i < 3; i++ {
				b := append(append([]byte(nil), ms[i].Buffers[0]...), ms[i].Buffers[1]...)
				if want := fmt.Sprintf("dgram %d", i); ms[i].N != len(want) || string(b[:ms[i].N]) != want || ms[i].Addr.String() != peer.LocalAddr().String() {
					t.Errorf("message %d: %q (N %d) from %v", i, b[:ms[i].N], ms[i].N, ms[i].Addr)
				}
			}
			// Nothing more: the deadline ends the next batch.
			fd.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := fd.ReadBatch(ms, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("ReadBatch with nothing there: %v; want the deadline", err)
			}
			fd.SetReadDeadline(time.Time{})
			// A batch out, read by net's control.
			out := make([]Message, 5)
			for i := range out {
				out[i] = Message{Buffers: [][]byte{[]byte("out "), []byte{byte('0' + i)}}, Addr: peer.LocalAddr()}
			}
			if n, err := fd.WriteBatch(out, 0); n != 5 || err != nil || out[4].N != 5 {
				t.Fatalf("WriteBatch = %d, %v (N %d)", n, err, out[4].N)
			}
			buf := make([]byte, 16)
			peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			for i := 0; i < 5; i++ {
				n, from, err := peer.ReadFrom(buf)
				if err != nil || string(buf[:n]) != fmt.Sprintf("out %d", i) || from.String() != fd.LocalAddr().String() {
					t.Fatalf("net read %q from %v, %v", buf[:n], from, err)
				}
			}
		})
	}
}

func TestBatchBadInput(t *testing.T) {
	fd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	peer := client(t, "udp4")
	ms := []Message{{Buffers: [][]byte{make([]byte, 8)}}, {}}
	if _, err := fd.ReadBatch(ms, 0); !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "message 1") {
		t.Errorf("ReadBatch with an empty message: %v; want EINVAL naming message 1", err)
	}
	out := []Message{{Buffers: [][]byte{[]byte("a")}, Addr: peer.LocalAddr()}, {Addr: peer.LocalAddr()}}
	var oe *net.OpError
	if n, err := fd.WriteBatch(out, 0); n != 0 || !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "message 1") || !errors.As(err, &oe) {
		t.Errorf("WriteBatch with an empty message: %d, %v; want EINVAL naming message 1", n, err)
	}
	out[1] = Message{Buffers: [][]byte{[]byte("b")}}
	if _, err := fd.WriteBatch(out, 0); err == nil || !strings.Contains(err.Error(), "message 1 of the batch: missing address") {
		t.Errorf("WriteBatch with no address: %v; want missing address naming message 1", err)
	}
	out[1].Addr = &net.UnixAddr{Name: "/x", Net: "unixgram"}
	if _, err := fd.WriteBatch(out, 0); !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "*net.UnixAddr") {
		t.Errorf("WriteBatch with a Unix address on udp: %v; want EINVAL naming it", err)
	}
	// An empty datagram is fine.
	out[1] = Message{Buffers: [][]byte{nil}, Addr: peer.LocalAddr()}
	if n, err := fd.WriteBatch(out, 0); n != 2 || err != nil {
		t.Errorf("WriteBatch with an empty datagram: %d, %v", n, err)
	}
}

func TestReadBatchAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	fd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	ms := make([]Message, 4)
	out := make([]Message, 4)
	for i := range ms {
		ms[i] = Message{Buffers: [][]byte{make([]byte, 32)}, Addr: &net.UDPAddr{IP: make(net.IP, 0, 16)}}
		out[i] = Message{Buffers: [][]byte{[]byte("ping")}, Addr: fd.LocalAddr()}
	}
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := fd.WriteBatch(out, 0); n != 4 || err != nil {
			t.Fatal(n, err)
		}
		for got := 0; got < 4; {
			n, err := fd.ReadBatch(ms[got:], 0)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	if allocs != 0 {
		t.Errorf("WriteBatch+ReadBatch of 4: %v allocations, want 0", allocs)
	}
}

func TestGSO(t *testing.T) {
	fd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	peer := client(t, "udp4")
	if err := fd.SetGSO(0); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("no UDP GSO here: %v", err)
		}
		t.Fatal(err)
	}
	payload := make([]byte, 250)
	for i := range payload {
		payload[i] = byte(i)
	}
	dst := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, _, err := fd.WriteMsgUDPAddrPort(payload, iomodel.AppendGSO(nil, 100), dst); err != nil {
		t.Fatalf("a send with a segment size: %v", err)
	}
	buf := make([]byte, 512)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, want := range []int{100, 100, 50} {
		n, _, err := peer.ReadFrom(buf)
		if err != nil || n != want || buf[0] != byte(i*100) {
			t.Fatalf("segment %d: %d bytes starting %d, %v; want %d", i, n, buf[0], err, want)
		}
	}
	// GRO on the receiving side: the segments may come back as one.
	rfd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	if err := rfd.SetGRO(true); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("no UDP GRO here: %v", err)
		}
		t.Fatal(err)
	}
	if _, _, err := fd.WriteMsgUDPAddrPort(payload, iomodel.AppendGSO(nil, 100), rfd.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	rfd.SetReadDeadline(time.Now().Add(5 * time.Second))
	total := 0
	for total < len(payload) {
		oob := make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := rfd.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			t.Fatal(err)
		}
		if seg, ok := iomodel.GROSegment(oob[:oobn]); ok && seg != 100 {
			t.Errorf("GRO segment size %d, want 100", seg)
		}
		total += n
	}
	if total != len(payload) {
		t.Errorf("GRO: %d bytes received, want %d", total, len(payload))
	}
	// Not on a Unix socket.
	ufd, _ := packetPair(t, modes[0], "unixgram", "")
	if err := ufd.SetGRO(true); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetGRO on unixgram: %v; want ErrUnsupported", err)
	}
}

// TestReadBatchClose: Close ends a ReadBatch waiting for its first
// datagram, with net.ErrClosed, in every mode; the Driver that skips its
// attempts was asked to wait for the batch, and the loop did the call
// itself.
func TestReadBatchClose(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := m.cfg()
			fd, err := ListenPacket("test", "udp4", "127.0.0.1:0", opener(cfg))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() {
				_, err := fd.ReadBatch([]Message{{Buffers: [][]byte{make([]byte, 8)}}}, 0)
				done <- err
			}()
			for !fd.Read.Busy() {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			fd.Close()
			select {
			case err := <-done:
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("ReadBatch after Close: %v, want net.ErrClosed", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not end ReadBatch")
			}
			if d, ok := cfg.Driver.(*skipDriver); ok {
				if _, asked := d.waits.Load(OpRecvMmsg); !asked {
					t.Error("the Driver was not asked to wait for OpRecvMmsg")
				}
			}
		})
	}
}
