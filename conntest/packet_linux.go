package conntest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

// netPacketNetwork is package net as a PacketNetwork: the control.
var netPacketNetwork = PacketNetwork{
	ListenPacket: net.ListenPacket,
	ListenPacketContext: func(ctx context.Context, lc *net.ListenConfig, n, a string) (net.PacketConn, error) {
		return lc.ListenPacket(ctx, n, a)
	},
	DialConn: (&net.Dialer{}).DialContext,
	Network:  netNetwork,
}

// packetSide is one side of a check: package net, or the model.
type packetSide struct {
	name string // "net" or "model"
	pn   PacketNetwork
}

func (s packetSide) isNet() bool { return s.name == "net" }

var datagramCases = []struct {
	name string
	run  func(t *testing.T, s packetSide, network string)
}{
	{"SenderAddress", testSenderAddress},
	{"Truncation", testTruncation},
	{"EmptyDatagram", testEmptyDatagram},
	{"Deadline", testPacketDeadline},
	{"CloseUnblocksReadFrom", testPacketCloseUnblocks},
	{"Concurrent", testPacketConcurrent},
	{"Batch", testBatch},
	{"BadInput", testPacketBadInput},
	{"BatchBadInput", testBatchBadInput},
	{"ListenConfigControl", testListenPacketControl},
}

var streamExtraCases = []struct {
	name string
	run  func(t *testing.T, s packetSide)
}{
	{"PassDescriptors", testPassDescriptors},
	{"ControlTruncated", testControlTruncated},
	{"ServeFile", testServeFile},
	{"StreamErrorsNameTheNetwork", testStreamErrorsNameTheNetwork},
}

func runPacket(t *testing.T, pn PacketNetwork) {
	sides := []packetSide{{"net", netPacketNetwork}, {"model", pn}}
	for _, network := range []string{"udp", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			for _, c := range append(datagramCases[:len(datagramCases):len(datagramCases)], packetParityCases...) {
				t.Run(c.name, func(t *testing.T) {
					for _, s := range sides {
						t.Run(s.name, func(t *testing.T) { watch(t, c.name, func() { c.run(t, s, network) }) })
					}
				})
			}
		})
	}
	for _, c := range streamExtraCases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range sides {
				t.Run(s.name, func(t *testing.T) { watch(t, c.name, func() { c.run(t, s) }) })
			}
		})
	}
}

// sockDir is a short directory for socket files (sun_path holds 108
// bytes, and t.TempDir's names grow with the subtests').
func sockDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "ct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func packetAddress(t *testing.T, network, name string) string {
	if network == "unixgram" {
		return filepath.Join(sockDir(t), name)
	}
	return "127.0.0.1:0"
}

// listenPair listens twice on network: a sends, b receives.
func listenPair(t *testing.T, s packetSide, network string) (a, b net.PacketConn) {
	t.Helper()
	var err error
	if a, err = s.pn.ListenPacket(network, packetAddress(t, network, "a")); err != nil {
		t.Fatalf("ListenPacket(%q): %v", network, err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = s.pn.ListenPacket(network, packetAddress(t, network, "b")); err != nil {
		t.Fatalf("ListenPacket(%q): %v", network, err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func mustWriteTo(t *testing.T, c net.PacketConn, p []byte, to net.Addr) {
	t.Helper()
	if n, err := c.WriteTo(p, to); err != nil || n != len(p) {
		t.Fatalf("WriteTo(%d bytes, %v) = %d, %v", len(p), to, n, err)
	}
}

// readOne reads one datagram, under a deadline so that a lost one fails
// the check rather than hanging it.
func readOne(t *testing.T, c net.PacketConn, size int) ([]byte, net.Addr) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, size)
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return buf[:n], from
}

// sameSender is sameAddr, but a nil sender is never right.
func sameSender(a, b net.Addr) bool { return a != nil && sameAddr(a, b) }

func testSenderAddress(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	mustWriteTo(t, a, []byte("hello"), b.LocalAddr())
	got, from := readOne(t, b, 64)
	if string(got) != "hello" {
		t.Errorf("ReadFrom got %q, want \"hello\"", got)
	}
	if !sameSender(from, a.LocalAddr()) {
		t.Errorf("ReadFrom's sender is %v (%T), want the sender's LocalAddr %v (%T)", from, from, a.LocalAddr(), a.LocalAddr())
	}
	if network == "udp" {
		ap := a.LocalAddr().(*net.UDPAddr).AddrPort()
		r := b.(interface {
			ReadFromUDP([]byte) (int, *net.UDPAddr, error)
		})
		w := a.(interface {
			WriteToUDPAddrPort([]byte, netip.AddrPort) (int, error)
		})
		if _, err := w.WriteToUDPAddrPort([]byte("ap"), b.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
			t.Fatalf("WriteToUDPAddrPort: %v", err)
		}
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 8)
		n, from, err := r.ReadFromUDP(buf)
		if err != nil || string(buf[:n]) != "ap" || from.AddrPort() != ap {
			t.Errorf("ReadFromUDP = %q, %v, %v; want \"ap\", %v, nil", buf[:n], from, err, ap)
		}
	}
	a.Close()
	if a.LocalAddr() == nil {
		t.Errorf("LocalAddr is nil after Close")
	}
}

func testTruncation(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	big := bytes.Repeat([]byte("0123456789"), 10)
	mustWriteTo(t, a, big, b.LocalAddr())
	mustWriteTo(t, a, []byte("next"), b.LocalAddr())
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 10)
	n, _, err := b.ReadFrom(buf)
	t.Logf("ReadFrom of 100 bytes into 10: %d, %v", n, err)
	if n != 10 || err != nil || !bytes.Equal(buf, big[:10]) {
		t.Errorf("ReadFrom of a 100-byte datagram into 10 bytes = %d %q, %v; want 10 %q, nil", n, buf[:n], err, big[:10])
	}
	if got, _ := readOne(t, b, 64); string(got) != "next" {
		t.Errorf("the datagram after the truncated one is %q, want \"next\": the rest was not discarded", got)
	}
	// The Msg forms report MSG_TRUNC.
	mustWriteTo(t, a, big, b.LocalAddr())
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	var flags int
	switch c := b.(type) {
	case interface {
		ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
	}:
		n, _, flags, _, err = c.ReadMsgUDP(buf, nil)
	case interface {
		ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
	}:
		n, _, flags, _, err = c.ReadMsgUnix(buf, nil)
	default:
		t.Fatalf("%T has neither ReadMsgUDP nor ReadMsgUnix", b)
	}
	if n != 10 || err != nil || flags&unix.MSG_TRUNC == 0 {
		t.Errorf("ReadMsg of a 100-byte datagram into 10 bytes = %d, flags %#x, %v; want 10, MSG_TRUNC, nil", n, flags, err)
	}
}

func testEmptyDatagram(t *testing.T, s packetSide, network string) {
	skipUnlessEmptySendmsg(t)
	a, b := listenPair(t, s, network)
	if n, err := a.WriteTo(nil, b.LocalAddr()); n != 0 || err != nil {
		t.Fatalf("WriteTo(nil) = %d, %v; want 0, nil", n, err)
	}
	mustWriteTo(t, a, []byte("after"), b.LocalAddr())
	got, from := readOne(t, b, 64)
	if len(got) != 0 || !sameSender(from, a.LocalAddr()) {
		t.Errorf("the empty datagram read as %q from %v; want 0 bytes from %v", got, from, a.LocalAddr())
	}
	if got, _ := readOne(t, b, 64); string(got) != "after" {
		t.Errorf("the datagram after the empty one is %q, want \"after\"", got)
	}
}

func testPacketDeadline(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	b.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	_, _, err := b.ReadFrom(make([]byte, 8))
	wantTimeout(t, "ReadFrom past its deadline", err)
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Errorf("ReadFrom timed out after %v, before its 30 ms deadline", d)
	}
	// A deadline in the past fails even with a datagram waiting, as net's.
	mustWriteTo(t, a, []byte("ready"), b.LocalAddr())
	b.SetReadDeadline(time.Now().Add(-time.Second))
	_, _, err = b.ReadFrom(make([]byte, 8))
	wantTimeout(t, "ReadFrom with a past deadline and a datagram waiting", err)
	b.SetReadDeadline(time.Time{})
	if got, _ := readOne(t, b, 8); string(got) != "ready" {
		t.Errorf("after the deadline was cleared ReadFrom got %q, want \"ready\"", got)
	}
	a.SetWriteDeadline(time.Now().Add(-time.Second))
	_, err = a.WriteTo([]byte("late"), b.LocalAddr())
	wantTimeout(t, "WriteTo with a past deadline", err)
}

// awaitPacketPending gives a ReadFrom started in another goroutine time to
// reach its wait (see awaitPending).
func awaitPacketPending(c net.PacketConn) {
	if s, ok := c.(statser); ok {
		for i := 0; i < 2000 && s.Stats().Read.Calls == 0; i++ {
			time.Sleep(time.Millisecond)
		}
	}
	time.Sleep(20 * time.Millisecond)
}

func testPacketCloseUnblocks(t *testing.T, s packetSide, network string) {
	_, b := listenPair(t, s, network)
	errc := make(chan error, 1)
	go func() {
		_, _, err := b.ReadFrom(make([]byte, 8))
		errc <- err
	}()
	awaitPacketPending(b)
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-errc:
		wantClosed(t, "ReadFrom pending when the socket closed", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock ReadFrom in 10 s")
	}
	wantClosed(t, "second Close", b.Close())
	_, _, err := b.ReadFrom(make([]byte, 8))
	wantClosed(t, "ReadFrom after Close", err)
}

// testPacketConcurrent sends both ways at once, each socket reading in one
// goroutine while it writes in another; a window keeps each direction
// from overrunning the receiver.
func testPacketConcurrent(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	const count = 300
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, dir := range []struct{ from, to net.PacketConn }{{a, b}, {b, a}} {
		window := make(chan struct{}, 16)
		wg.Add(2)
		go func() {
			defer wg.Done()
			dir.from.SetWriteDeadline(time.Now().Add(20 * time.Second))
			for i := range count {
				window <- struct{}{}
				if _, err := dir.from.WriteTo(fmt.Appendf(nil, "%d", i), dir.to.LocalAddr()); err != nil {
					errs <- fmt.Errorf("WriteTo %d: %w", i, err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			seen := make(map[string]bool)
			buf := make([]byte, 16)
			dir.to.SetReadDeadline(time.Now().Add(20 * time.Second))
			for len(seen) < count {
				n, from, err := dir.to.ReadFrom(buf)
				if err != nil {
					errs <- fmt.Errorf("ReadFrom after %d datagrams: %w", len(seen), err)
					return
				}
				<-window
				if !sameSender(from, dir.from.LocalAddr()) {
					errs <- fmt.Errorf("datagram %q from %v, want %v", buf[:n], from, dir.from.LocalAddr())
					return
				}
				if seen[string(buf[:n])] {
					errs <- fmt.Errorf("datagram %q read twice", buf[:n])
					return
				}
				seen[string(buf[:n])] = true
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// batcher is the model's PacketConn's ReadBatch and WriteBatch.
type batcher interface {
	ReadBatch(ms []iomodel.Message, flags int) (int, error)
	WriteBatch(ms []iomodel.Message, flags int) (int, error)
}

// xnetBatcher is net's UDPConn batched through golang.org/x/net/ipv4, the
// control for the model's batches (iomodel.Message is ipv4.Message).
type xnetBatcher struct{ p *ipv4.PacketConn }

func (x xnetBatcher) ReadBatch(ms []iomodel.Message, flags int) (int, error) {
	return x.p.ReadBatch(ms, flags)
}

func (x xnetBatcher) WriteBatch(ms []iomodel.Message, flags int) (int, error) {
	return x.p.WriteBatch(ms, flags)
}

// batchOf is c's batches: the model's own, or net's through x/net/ipv4
// (on UDP only: x/net has nothing for Unix sockets).
func batchOf(t *testing.T, s packetSide, c net.PacketConn) batcher {
	t.Helper()
	if b, ok := c.(batcher); ok {
		return b
	}
	if u, ok := c.(*net.UDPConn); ok && s.isNet() {
		return xnetBatcher{ipv4.NewPacketConn(u)}
	}
	if s.isNet() {
		t.Skipf("package net has no batches on %T (golang.org/x/net/ipv4's are for IP sockets)", c)
	}
	t.Fatalf("%T has no ReadBatch and WriteBatch", c)
	return nil
}

func testBatch(t *testing.T, s packetSide, network string) {
	skipUnlessEmptySendmsg(t)
	a, b := listenPair(t, s, network)
	ba, bb := batchOf(t, s, a), batchOf(t, s, b)
	// Three datagrams waiting, a batch of eight: it comes back partly
	// filled, the long one truncated.
	long := bytes.Repeat([]byte("x"), 100)
	for _, p := range [][]byte{[]byte("one"), []byte("two"), long} {
		mustWriteTo(t, a, p, b.LocalAddr())
	}
	ms := make([]iomodel.Message, 8)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 8), make([]byte, 8)}
	}
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := bb.ReadBatch(ms, 0)
	if err != nil || n != 3 {
		t.Fatalf("ReadBatch of 8 with 3 datagrams waiting = %d, %v; want 3, nil", n, err)
	}
	want := []string{"one", "two", string(long[:16])}
	for i := range n {
		m := ms[i]
		got := string(append(append([]byte(nil), m.Buffers[0]...), m.Buffers[1]...)[:m.N])
		if got != want[i] {
			t.Errorf("message %d = %q, want %q", i, got, want[i])
		}
		if !sameSender(m.Addr, a.LocalAddr()) {
			t.Errorf("message %d from %v, want %v", i, m.Addr, a.LocalAddr())
		}
		if trunc := m.Flags&unix.MSG_TRUNC != 0; trunc != (i == 2) {
			t.Errorf("message %d: Flags %#x, MSG_TRUNC %v, want %v", i, m.Flags, trunc, i == 2)
		}
	}
	// A batch out: four datagrams, one of them empty, in one call.
	out := []iomodel.Message{
		{Buffers: [][]byte{[]byte("al"), []byte("pha")}, Addr: b.LocalAddr()},
		{Buffers: [][]byte{{}}, Addr: b.LocalAddr()},
		{Buffers: [][]byte{[]byte("gamma")}, Addr: b.LocalAddr()},
		{Buffers: [][]byte{[]byte("delta")}, Addr: b.LocalAddr()},
	}
	if n, err := ba.WriteBatch(out, 0); n != len(out) || err != nil {
		t.Fatalf("WriteBatch of %d = %d, %v", len(out), n, err)
	}
	for i, w := range []string{"alpha", "", "gamma", "delta"} {
		if out[i].N != len(w) {
			t.Errorf("WriteBatch message %d: N = %d, want %d", i, out[i].N, len(w))
		}
		if got, _ := readOne(t, b, 16); string(got) != w {
			t.Errorf("datagram %d of the batch read as %q, want %q", i, got, w)
		}
	}
}

func wantError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded", what)
		return
	}
	t.Logf("%s: %v", what, err)
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Errorf("%s: %T is not a *net.OpError", what, err)
	}
}

func testPacketBadInput(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	var wrong net.Addr = &net.UnixAddr{Name: "/nonexistent", Net: "unixgram"}
	if network == "unixgram" {
		wrong = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	}
	before := takeFDs(t)
	_, err := a.WriteTo([]byte("x"), nil)
	wantError(t, "WriteTo a nil address", err)
	_, err = a.WriteTo([]byte("x"), wrong)
	wantError(t, fmt.Sprintf("WriteTo a %T on %s", wrong, network), err)
	if c, err := s.pn.ListenPacket("tcp", "127.0.0.1:0"); err == nil {
		c.Close()
		t.Errorf("ListenPacket(\"tcp\") succeeded")
	} else {
		wantError(t, "ListenPacket(\"tcp\")", err)
	}
	if network == "unixgram" {
		// A path nobody is bound to any more, then one that is gone.
		path := b.LocalAddr().String()
		to := b.LocalAddr()
		b.Close()
		_, err = a.WriteTo([]byte("x"), to)
		wantError(t, "WriteTo a unixgram path whose socket closed", err)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("WriteTo a path whose socket closed: %v, want ECONNREFUSED", err)
		}
		os.Remove(path)
		_, err = a.WriteTo([]byte("x"), to)
		wantError(t, "WriteTo a unixgram path that is gone", err)
		if !errors.Is(err, syscall.ENOENT) {
			t.Errorf("WriteTo a path that is gone: %v, want ENOENT", err)
		}
	}
	before.wantNoneAdded(t, "bad input")
	// The socket still works.
	c, err := s.pn.ListenPacket(network, packetAddress(t, network, "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustWriteTo(t, a, []byte("ok"), c.LocalAddr())
	if got, _ := readOne(t, c, 8); string(got) != "ok" {
		t.Errorf("after bad input the socket sent %q, want \"ok\"", got)
	}
}

func testBatchBadInput(t *testing.T, s packetSide, network string) {
	a, b := listenPair(t, s, network)
	ba, bb := batchOf(t, s, a), batchOf(t, s, b)
	if s.isNet() {
		t.Skip("x/net/ipv4 hands an empty message to the kernel; the model's errors are checked on their own")
	}
	before := takeFDs(t)
	_, err := ba.WriteBatch([]iomodel.Message{{Buffers: [][]byte{[]byte("x")}, Addr: b.LocalAddr()}, {Addr: b.LocalAddr()}}, 0)
	wantError(t, "WriteBatch with a message of no Buffers", err)
	_, err = ba.WriteBatch([]iomodel.Message{{Buffers: [][]byte{[]byte("x")}}}, 0)
	wantError(t, "WriteBatch with a message of no Addr", err)
	mustWriteTo(t, a, []byte("x"), b.LocalAddr())
	_, err = bb.ReadBatch([]iomodel.Message{{Buffers: [][]byte{make([]byte, 8)}}, {}}, 0)
	wantError(t, "ReadBatch with a message of no Buffers", err)
	before.wantNoneAdded(t, "bad batches")
	if got, _ := readOne(t, b, 8); string(got) != "x" {
		t.Errorf("the datagram waiting during the bad ReadBatch read as %q, want \"x\"", got)
	}
}

func testListenPacketControl(t *testing.T, s packetSide, network string) {
	if s.pn.ListenPacketContext == nil {
		t.Skip("no ListenPacketContext")
	}
	var got string
	lc := &net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		got = network
		return nil
	}}
	c, err := s.pn.ListenPacketContext(context.Background(), lc, network, packetAddress(t, network, "ctl"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	t.Logf("Control saw network %q", got)
	if got == "" {
		t.Errorf("ListenConfig.ListenPacket did not call Control")
	}
	lc.Control = func(string, string, syscall.RawConn) error { return errors.New("refused by Control") }
	before := takeFDs(t)
	if c, err := s.pn.ListenPacketContext(context.Background(), lc, network, packetAddress(t, network, "ctl2")); err == nil {
		c.Close()
		t.Errorf("ListenPacket whose Control failed succeeded")
	}
	before.wantNoneAdded(t, "a refused ListenPacket")
}

// unixMsger is ReadMsgUnix and WriteMsgUnix, net.UnixConn's and the
// model's Conn's.
type unixMsger interface {
	ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
	WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error)
}

// unixStreamPair is a connected "unix" stream over the side's Listen and
// Dial: the dialed end and the accepted one.
func unixStreamPair(t *testing.T, s packetSide) (dialed, accepted unixMsger) {
	t.Helper()
	path := filepath.Join(sockDir(t), "s")
	l, err := s.pn.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	c, err := s.pn.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	d, ok1 := unwrap(c).(unixMsger)
	a, ok2 := any(r.c).(unixMsger)
	if !ok1 || !ok2 {
		t.Fatalf("%T or %T has no ReadMsgUnix and WriteMsgUnix", unwrap(c), r.c)
	}
	return d, a
}

func rightsOf(t *testing.T, oob []byte) []int {
	t.Helper()
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		t.Fatalf("ParseSocketControlMessage: %v", err)
	}
	var fds []int
	for _, m := range msgs {
		r, err := unix.ParseUnixRights(&m)
		if err != nil {
			t.Fatalf("ParseUnixRights: %v", err)
		}
		fds = append(fds, r...)
	}
	return fds
}

func testPassDescriptors(t *testing.T, s packetSide) {
	sender, receiver := unixStreamPair(t, s)
	f, err := os.CreateTemp("", "ctfile")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.WriteString("file contents"); err != nil {
		t.Fatal(err)
	}
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sp[0])
	defer unix.Close(sp[1])
	before := takeFDs(t)
	oob := unix.UnixRights(int(f.Fd()), sp[1])
	if n, oobn, err := sender.WriteMsgUnix([]byte("x"), oob, nil); n != 1 || oobn != len(oob) || err != nil {
		t.Fatalf("WriteMsgUnix = %d, %d, %v; want 1, %d, nil", n, oobn, err, len(oob))
	}
	buf, roob := make([]byte, 8), make([]byte, unix.CmsgSpace(2*4))
	n, oobn, flags, _, err := receiver.ReadMsgUnix(buf, roob)
	if err != nil || n != 1 || buf[0] != 'x' || flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		t.Fatalf("ReadMsgUnix = %d %q, %d, flags %#x, %v; want 1 \"x\", no MSG_TRUNC or MSG_CTRUNC", n, buf[:n], oobn, flags, err)
	}
	fds := rightsOf(t, roob[:oobn])
	if len(fds) != 2 {
		t.Fatalf("received %d descriptors, want 2", len(fds))
	}
	// The file: read it through the received descriptor.
	rf := os.NewFile(uintptr(fds[0]), "received file")
	got := make([]byte, 32)
	k, _ := rf.ReadAt(got, 0)
	rf.Close()
	if string(got[:k]) != "file contents" {
		t.Errorf("the received file reads %q, want \"file contents\"", got[:k])
	}
	// The socket: write through it, read on the end kept here.
	if _, err := unix.Write(fds[1], []byte("ping")); err != nil {
		t.Errorf("write on the received socket: %v", err)
	}
	unix.Close(fds[1])
	k, err = unix.Read(sp[0], got)
	if err != nil || string(got[:k]) != "ping" {
		t.Errorf("the socket passed on got %q, %v; want \"ping\"", got[:k], err)
	}
	before.wantNoneAdded(t, "receiving two descriptors and closing them")
	// A closed descriptor is refused, naming the cause.
	closed, err := closedFD()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = sender.WriteMsgUnix([]byte("x"), unix.UnixRights(closed), nil)
	wantError(t, "WriteMsgUnix with a closed descriptor", err)
	if !errors.Is(err, syscall.EBADF) {
		t.Errorf("WriteMsgUnix with a closed descriptor: %v, want EBADF", err)
	}
}

func testControlTruncated(t *testing.T, s packetSide) {
	skipUnlessCtrunc(t)
	sender, receiver := unixStreamPair(t, s)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before := takeFDs(t)
	fd := int(f.Fd())
	if _, _, err := sender.WriteMsgUnix([]byte("x"), unix.UnixRights(fd, fd, fd), nil); err != nil {
		t.Fatal(err)
	}
	// Room for one descriptor of the three.
	buf, roob := make([]byte, 8), make([]byte, unix.CmsgLen(4))
	n, oobn, flags, _, err := receiver.ReadMsgUnix(buf, roob)
	if err != nil || n != 1 {
		t.Fatalf("ReadMsgUnix = %d, %v", n, err)
	}
	if flags&unix.MSG_CTRUNC == 0 {
		if s.isNet() && oobn == 0 {
			t.Skipf("package net's ReadMsgUnix got no control data and no MSG_CTRUNC (flags %#x): this kernel or emulator hands over none", flags)
		}
		t.Errorf("ReadMsgUnix with a control buffer too small: flags %#x, want MSG_CTRUNC", flags)
	}
	leaked := len(addedFDs(before, takeFDs(t)))
	t.Logf("oobn %d, flags %#x, %d descriptors open after the read", oobn, flags, leaked)
	var got []int
	if oobn > 0 {
		got = rightsOf(t, roob[:oobn])
	}
	// net hands the descriptors that fit to the caller, and so must the
	// model: each one open, close-on-exec, the caller's to close.
	for _, fd := range got {
		flag, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flag&unix.FD_CLOEXEC == 0 {
			t.Errorf("descriptor %d handed over in a truncated control message: F_GETFD = %#x, %v; want open and close-on-exec", fd, flag, err)
		}
		unix.Close(fd)
	}
	if oobn > 0 && len(got) == 0 {
		t.Errorf("a truncated control message of %d bytes handed over no descriptor", oobn)
	}
	before.wantNoneAdded(t, "a truncated control message")
}

// serveFileSize is the file testServeFile serves, as issue 15 asks: 256
// MiB, many sendfile calls' worth of socket buffer.
const serveFileSize = 256 << 20

// serveChunk is MiB i of the file testServeFile serves: one random MiB,
// its first eight bytes replaced by i, so that no two MiB are alike and
// a MiB out of place or repeated is seen.
func serveChunk(base []byte, i int) []byte {
	binary.BigEndian.PutUint64(base, uint64(i))
	return base
}

// trackListener keeps the Conns it accepts, to read their counters.
type trackListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func testServeFile(t *testing.T, s packetSide) {
	f, err := os.CreateTemp("", "ctserve*.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	base := randomBytes(newRand(t), 1<<20)
	for i := 0; i < serveFileSize>>20; i++ {
		if _, err := f.Write(serveChunk(base, i)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.pn.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := &trackListener{Listener: l}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.ServeFile(w, req, f.Name())
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(tl) }()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 60 * time.Second}).Get("http://" + l.Addr().String() + "/file.bin")
	if err != nil {
		t.Fatal(err)
	}
	// Byte-exact, MiB by MiB, without hashing 256 MiB (slow under an
	// emulator).
	got := make([]byte, 1<<20)
	var n int64
	for i := 0; ; i++ {
		k, err := io.ReadFull(resp.Body, got)
		n += int64(k)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatalf("the body, after %d bytes: %v", n, err)
		}
		if i >= serveFileSize>>20 || !bytes.Equal(got, serveChunk(base, i)) {
			t.Fatalf("MiB %d of the body is not MiB %d of the file", i, i)
		}
	}
	resp.Body.Close()
	if n != serveFileSize {
		t.Errorf("the body: %d bytes; want %d", n, serveFileSize)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve: %v", err)
	}
	if s.isNet() {
		return // net keeps no counters; the bytes are the control
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.conns) != 1 {
		t.Fatalf("%d connections accepted, want 1", len(tl.conns))
	}
	st, ok := tl.conns[0].(statser)
	if !ok {
		t.Fatalf("%T has no Stats", tl.conns[0])
	}
	zc := st.Stats().ZeroCopy
	t.Logf("zero-copy counters: %+v", zc)
	// net/http copies the first 512 bytes itself (for sniffing) before it
	// hands the rest to the Conn's ReadFrom.
	if zc.Sendfile < serveFileSize-4096 || zc.Copied > 4096 {
		t.Errorf("ServeFile of %d bytes went %d by sendfile, %d by splice, %d by the copy loop; want it by sendfile", serveFileSize, zc.Sendfile, zc.Splice, zc.Copied)
	}
}
