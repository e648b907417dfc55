package async

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/uring"
)

// udpPair is two UDP sockets on the loopback, each an async Conn on r.
func udpPair(t testing.TB, opts ...Option) (*Conn, *Conn) {
	t.Helper()
	open := func() *Conn {
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(s, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			unix.Close(s)
			t.Fatal(err)
		}
		c, err := New(s, opts...)
		if err != nil {
			unix.Close(s)
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return open(), open()
}

func addrPort(t testing.TB, c *Conn) netip.AddrPort {
	t.Helper()
	a, ok := c.fd.LocalAddr().(*net.UDPAddr)
	if !ok {
		t.Fatalf("LocalAddr = %v", c.fd.LocalAddr())
	}
	return a.AddrPort()
}

// countSupports counts the ring's support checks, by opcode (the
// Completer asks just before it prepares that request), and answers that
// the kernel lacks off (-1: none). Set it before any Conn's call runs; it
// is reset when the test ends.
func countSupports(t *testing.T, off int) *[256]atomic.Int64 {
	var n [256]atomic.Int64
	testSupports = func(o uint8, probed bool) bool {
		n[o].Add(1)
		return probed && int(o) != off
	}
	t.Cleanup(func() { testSupports = nil })
	return &n
}

// requireOp skips the test when this kernel's io_uring lacks op.
func requireOp(t *testing.T, r *Ring, op uint8, name string) {
	t.Helper()
	if !r.r.Supports(op) {
		t.Skipf("IORING_REGISTER_PROBE does not report IORING_OP_%s on this kernel", name)
	}
}

// TestDatagramOnRing: with WithRingOnly, ReadFrom is a RECVMSG on the ring
// and WriteTo a SENDMSG; the datagram arrives whole, with its sender.
func TestDatagramOnRing(t *testing.T) {
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_RECVMSG, "RECVMSG")
	requireOp(t, r, uring.IORING_OP_SENDMSG, "SENDMSG")
	asked := countSupports(t, -1)
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	type got struct {
		n    int
		from netip.AddrPort
		err  error
	}
	res := make(chan got, 1)
	buf := make([]byte, 64)
	go func() {
		n, from, err := b.fd.ReadFromUDPAddrPort(buf)
		res <- got{n, from, err}
	}()
	if n, err := a.fd.WriteToUDPAddrPort([]byte("datagram"), addrPort(t, b)); err != nil || n != 8 {
		t.Fatalf("WriteToUDPAddrPort = %d, %v", n, err)
	}
	g := <-res
	if g.err != nil || string(buf[:g.n]) != "datagram" {
		t.Fatalf("ReadFromUDPAddrPort = %d %q, %v", g.n, buf[:g.n], g.err)
	}
	if want := addrPort(t, a); g.from != want {
		t.Errorf("sender = %v, want %v", g.from, want)
	}
	if recvs, sends := asked[uring.IORING_OP_RECVMSG].Load(), asked[uring.IORING_OP_SENDMSG].Load(); recvs == 0 || sends == 0 {
		t.Errorf("RECVMSG asked for %d times, SENDMSG %d times: want both on the ring", recvs, sends)
	}
	// A datagram larger than the buffer is truncated, as net's.
	if _, err := a.fd.WriteToUDPAddrPort(bytes.Repeat([]byte("x"), 100), addrPort(t, b)); err != nil {
		t.Fatal(err)
	}
	n, oobn, flags, _, err := b.fd.ReadMsgUDPAddrPort(buf[:10], nil)
	if err != nil || n != 10 || oobn != 0 || flags&unix.MSG_TRUNC == 0 {
		t.Fatalf("ReadMsgUDPAddrPort = %d, %d, %#x, %v; want 10, 0, MSG_TRUNC", n, oobn, flags, err)
	}
}

// TestRecvMsgWithoutOp: on a kernel whose io_uring lacks RECVMSG the
// Completer answers ENOSYS and the loop does recvmsg(2) itself after
// waiting for readiness: ReadFrom still works.
func TestRecvMsgWithoutOp(t *testing.T) {
	r := ownRing(t, 0)
	asked := &countSupports(t, uring.IORING_OP_RECVMSG)[uring.IORING_OP_RECVMSG]
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	res := make(chan error, 1)
	buf := make([]byte, 16)
	go func() {
		n, _, err := b.fd.ReadFromUDPAddrPort(buf)
		if err == nil && string(buf[:n]) != "fallback" {
			err = errors.New("got " + string(buf[:n]))
		}
		res <- err
	}()
	if _, err := a.fd.WriteToUDPAddrPort([]byte("fallback"), addrPort(t, b)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFrom did not return in 10s")
	}
	if asked.Load() == 0 {
		t.Error("the Completer was never asked for RECVMSG")
	}
}

// TestRightsOnRing: a descriptor passed with SCM_RIGHTS arrives through a
// RECVMSG on the ring and works on the other side.
func TestRightsOnRing(t *testing.T) {
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_RECVMSG, "RECVMSG")
	a, b := pair(t, unix.SOCK_DGRAM, WithRing(r), WithRingOnly())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	type got struct {
		n, oobn, flags int
		err            error
	}
	res := make(chan got, 1)
	buf, oob := make([]byte, 16), make([]byte, unix.CmsgSpace(4))
	go func() {
		n, oobn, flags, _, err := b.fd.ReadMsgUnix(buf, oob)
		res <- got{n, oobn, flags, err}
	}()
	if _, _, err := a.fd.WriteMsgUnix([]byte("fd"), unix.UnixRights(int(pw.Fd())), nil); err != nil {
		t.Fatal(err)
	}
	g := <-res
	if g.err != nil || string(buf[:g.n]) != "fd" || g.flags&unix.MSG_CTRUNC != 0 {
		t.Fatalf("ReadMsgUnix = %d %q, flags %#x, %v", g.n, buf[:g.n], g.flags, g.err)
	}
	cms, err := unix.ParseSocketControlMessage(oob[:g.oobn])
	if err != nil || len(cms) != 1 {
		t.Fatalf("control: %d messages, %v", len(cms), err)
	}
	fds, err := unix.ParseUnixRights(&cms[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("SCM_RIGHTS: %v, %v", fds, err)
	}
	w := os.NewFile(uintptr(fds[0]), "passed")
	defer w.Close()
	if flags, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("the passed descriptor's F_GETFD = %#x, %v: want FD_CLOEXEC (MSG_CMSG_CLOEXEC)", flags, err)
	}
	if _, err := w.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(pr, one); err != nil || one[0] != '!' {
		t.Fatalf("read through the passed descriptor: %q, %v", one, err)
	}
}

// TestRecvMsgDeadlineAndClose: a RECVMSG waiting on the ring ends at its
// deadline (the linked timeout) with os.ErrDeadlineExceeded, and at Close
// with net.ErrClosed; either way the request is gone from the kernel when
// the call returns (Close completes, and the Conn's Destroy waits for it).
func TestRecvMsgDeadlineAndClose(t *testing.T) {
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_RECVMSG, "RECVMSG")
	_, b := udpPair(t, WithRing(r), WithRingOnly())
	buf := make([]byte, 16)
	b.fd.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	_, _, err := b.fd.ReadFromUDPAddrPort(buf)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadFrom past its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Errorf("ReadFrom returned after %v, before its deadline", d)
	}
	b.fd.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	entered := make(chan struct{})
	testHookSubmit = func(*lifecycle) {
		select {
		case <-entered:
		default:
			close(entered)
		}
	}
	t.Cleanup(func() { testHookSubmit = nil })
	go func() {
		_, _, err := b.fd.ReadFromUDPAddrPort(buf)
		errc <- err
	}()
	<-entered // the RECVMSG is on its way to the ring
	b.Close()
	wantClosed(t, errc, 10*time.Second, "ReadFrom")
}

// TestSpliceOnRing: SendFile from a pipe goes through SPLICE requests on
// the ring (pipe → socket, the socket in O_NONBLOCK: EAGAIN, POLL_ADD,
// again), byte-exact; with SPLICE taken away the loop splices itself.
func TestSpliceOnRing(t *testing.T) {
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_SPLICE, "SPLICE")
	for _, off := range []bool{false, true} {
		name := "ring"
		if off {
			name = "without-SPLICE"
		}
		t.Run(name, func(t *testing.T) {
			no := -1
			if off {
				no = uring.IORING_OP_SPLICE
			}
			asked := &countSupports(t, no)[uring.IORING_OP_SPLICE]
			a, b := pair(t, unix.SOCK_STREAM, WithRing(r))
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			want := make([]byte, 3<<20) // more than the socket buffer: the splice waits
			for i := range want {
				want[i] = byte(i * 7)
			}
			go func() {
				pw.Write(want)
				pw.Close()
			}()
			got := make(chan []byte, 1)
			go func() {
				var all []byte
				buf := make([]byte, 64<<10)
				for len(all) < len(want) {
					n, err := b.Recv(buf)
					if err != nil {
						break
					}
					all = append(all, buf[:n]...)
				}
				got <- all
			}()
			n, handled, err := a.fd.SendFile(pr)
			if err != nil || !handled || n != int64(len(want)) {
				t.Fatalf("SendFile = %d, handled %v, %v; want %d", n, handled, err, len(want))
			}
			if all := <-got; !bytes.Equal(all, want) {
				t.Fatalf("received %d bytes, not what was sent", len(all))
			}
			if _, splice, _ := a.fd.ZeroCopyStats(); splice != uint64(len(want)) {
				t.Errorf("ZeroCopyStats splice = %d, want %d", splice, len(want))
			}
			if asked.Load() == 0 {
				t.Error("the Completer was never asked for SPLICE")
			}
		})
	}
}

// TestDatagramZeroAllocs: WriteToUDPAddrPort and ReadFromUDPAddrPort,
// both through the ring (SENDMSG, RECVMSG), allocate nothing in steady
// state.
func TestDatagramZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_RECVMSG, "RECVMSG")
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	dst := addrPort(t, b)
	msg, buf := make([]byte, 64), make([]byte, 64)
	roundTrip := func() {
		if _, err := a.fd.WriteToUDPAddrPort(msg, dst); err != nil {
			t.Fatal(err)
		}
		if n, _, err := b.fd.ReadFromUDPAddrPort(buf); err != nil || n != len(msg) {
			t.Fatalf("ReadFromUDPAddrPort = %d, %v", n, err)
		}
	}
	for range 100 {
		roundTrip()
	}
	ops0 := r.Stats().Ops
	if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
		t.Errorf("a datagram round trip on the ring allocates %v times, want 0", n)
	}
	if ops := r.Stats().Ops - ops0; ops < 2000 {
		t.Errorf("%d ring operations for 1001 round trips, want at least 2 each (SENDMSG, RECVMSG)", ops)
	}
}

// TestWritevOnRing: Writev on a pipe is one WRITEV request on the ring.
func TestWritevOnRing(t *testing.T) {
	r := ownRing(t, 0)
	requireOp(t, r, uring.IORING_OP_WRITEV, "WRITEV")
	asked := &countSupports(t, -1)[uring.IORING_OP_WRITEV]
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	w, err := New(p[1], WithRing(r))
	if err != nil {
		unix.Close(p[1])
		t.Fatal(err)
	}
	defer w.Close()
	n, err := w.fd.Writev([][]byte{[]byte("one "), nil, []byte("two "), []byte("three")})
	if err != nil || n != 13 {
		t.Fatalf("Writev = %d, %v; want 13", n, err)
	}
	got := make([]byte, 32)
	if m, _ := unix.Read(p[0], got); string(got[:m]) != "one two three" {
		t.Fatalf("the pipe holds %q", got[:m])
	}
	if asked.Load() == 0 {
		t.Error("the Completer was never asked for WRITEV")
	}
}
