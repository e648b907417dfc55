package async

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/uring"
)

// inbox is n messages of 64 bytes each, to read a batch into.
func inbox(n int) []iomodel.Message {
	ms := make([]iomodel.Message, n)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 64)}
	}
	return ms
}

// sendNumbered sends datagrams "from" to "to-1" ("datagram 7") from a
// to b, one sendto(2) each, bypassing the ring.
func sendNumbered(t *testing.T, a, b *Conn, from, to int) {
	t.Helper()
	dst := &unix.SockaddrInet4{Port: int(addrPort(t, b).Port()), Addr: [4]byte{127, 0, 0, 1}}
	for i := from; i < to; i++ {
		if err := unix.Sendto(a.fd.Sysfd, []byte(fmt.Sprint("datagram ", i)), 0, dst); err != nil {
			t.Fatal(err)
		}
	}
}

// checkNumbered fails unless ms[:n] hold datagrams from to from+n-1, in
// order.
func checkNumbered(t *testing.T, ms []iomodel.Message, n, from int) {
	t.Helper()
	for i := range n {
		want := fmt.Sprint("datagram ", from+i)
		if got := string(ms[i].Buffers[0][:ms[i].N]); got != want {
			t.Fatalf("message %d of the batch: %q, want %q", i, got, want)
		}
	}
}

// requireBatchOps skips the test without RECVMSG and SENDMSG.
func requireBatchOps(t *testing.T, r *Ring) {
	t.Helper()
	requireOp(t, r, uring.IORING_OP_RECVMSG, "RECVMSG")
	requireOp(t, r, uring.IORING_OP_SENDMSG, "SENDMSG")
}

// TestReadBatchChain: with WithRingOnly a ReadBatch of 64 with 40
// datagrams queued is one chain of 64 RECVMSGs in one submission, which
// takes the 40, in order: the ring counts 64 requests (40 datagrams, one
// EAGAIN, 23 cancelled by the link) for the caller's one system call and
// at most one wake-up, where 40 ReadFroms make 40 of each. A ReadBatch
// that waits returns what the head took.
func TestReadBatchChain(t *testing.T) {
	r := ownRing(t, 0)
	requireBatchOps(t, r)
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	sendNumbered(t, a, b, 0, 40)
	ms := inbox(64)
	before, hb := r.Stats(), b.fd.Stats().Read
	n, err := b.fd.ReadBatch(ms, 0)
	after, ha := r.Stats(), b.fd.Stats().Read
	if err != nil || n != 40 {
		t.Fatalf("ReadBatch of 64 with 40 queued = %d, %v; want 40", n, err)
	}
	checkNumbered(t, ms, n, 0)
	for i := range n {
		if ms[i].Addr.String() != a.fd.LocalAddr().String() {
			t.Fatalf("message %d: sender %v, want %v", i, ms[i].Addr, a.fd.LocalAddr())
		}
	}
	ops, subs, enters := after.Ops-before.Ops, after.Submitted-before.Submitted, after.Enters-before.Enters
	calls, waits := ha.Syscalls-hb.Syscalls, ha.Waits-hb.Waits
	t.Logf("ReadBatch of 40: %d ops, %d SQEs, %d enters; the caller: %d submissions, %d waits", ops, subs, enters, calls, waits)
	if ops != 64 || subs < 64 {
		t.Errorf("%d requests completed, %d SQEs submitted; want the chain's 64", ops, subs)
	}
	if calls != 1 || waits > 1 {
		t.Errorf("the caller made %d submissions and slept %d times for one batch, want 1 and at most 1", calls, waits)
	}

	sendNumbered(t, a, b, 0, 40)
	before, hb = r.Stats(), b.fd.Stats().Read
	buf := make([]byte, 64)
	for range 40 {
		if _, _, err := b.fd.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	}
	after, ha = r.Stats(), b.fd.Stats().Read
	t.Logf("40 ReadFroms: %d ops, %d SQEs, %d enters; the caller: %d submissions, %d waits", after.Ops-before.Ops,
		after.Submitted-before.Submitted, after.Enters-before.Enters, ha.Syscalls-hb.Syscalls, ha.Waits-hb.Waits)

	done := make(chan error, 1)
	go func() {
		n, err := b.fd.ReadBatch(ms, 0)
		if err == nil && n != 1 {
			err = fmt.Errorf("%d datagrams, want 1", n)
		}
		done <- err
	}()
	pendingRead2(b)
	sendNumbered(t, a, b, 40, 41)
	if err := <-done; err != nil {
		t.Fatalf("ReadBatch that waits: %v", err)
	}
	checkNumbered(t, ms, 1, 40)
}

// pendingRead2 waits until c's Read half has made its second system call
// (its second ReadBatch's submission).
func pendingRead2(c *Conn) {
	for c.fd.Stats().Read.Syscalls < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond) // the chain reaches the kernel
}

// TestWriteBatchChain: a WriteBatch of 64 datagrams on the ring arrives
// complete and in order, in chains of SENDMSGs (one submission for the 64
// unless the socket's buffer fills).
func TestWriteBatchChain(t *testing.T) {
	r := ownRing(t, 0)
	requireBatchOps(t, r)
	asked := countSupports(t, -1)
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	out := make([]iomodel.Message, 64)
	for i := range out {
		out[i] = iomodel.Message{Buffers: [][]byte{[]byte(fmt.Sprint("datagram ", i))}, Addr: b.fd.LocalAddr()}
	}
	before := r.Stats()
	n, err := a.fd.WriteBatch(out, 0)
	after := r.Stats()
	if err != nil || n != 64 {
		t.Fatalf("WriteBatch of 64 = %d, %v", n, err)
	}
	t.Logf("WriteBatch of 64: %d ops, %d SQEs, %d enters", after.Ops-before.Ops, after.Submitted-before.Submitted, after.Enters-before.Enters)
	if asked[uring.IORING_OP_SENDMSG].Load() == 0 {
		t.Fatal("WriteBatch did not go to the ring")
	}
	for i := range out {
		if out[i].N != len(out[i].Buffers[0]) {
			t.Fatalf("message %d: N %d, want %d", i, out[i].N, len(out[i].Buffers[0]))
		}
	}
	ms := inbox(1)
	for i := range 64 {
		buf := make([]byte, 64)
		k, _, err := unix.Recvfrom(b.fd.Sysfd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			t.Fatalf("datagram %d of 64: %v", i, err)
		}
		ms[0].Buffers[0], ms[0].N = buf, k
		checkNumbered(t, ms, 1, i)
	}
}

// TestBatchLargerThanChain: on a ring whose chains hold 2 (an 8-entry
// SQ), a ReadBatch of 10 returns 2 at a time, in order, and a WriteBatch
// of 10 loops until all have gone.
func TestBatchLargerThanChain(t *testing.T) {
	r := ownRing(t, 64)
	requireBatchOps(t, r)
	if m := r.r.MaxChain(); m != 2 {
		t.Fatalf("MaxChain of NewRing(64) = %d, want 2", m)
	}
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	sendNumbered(t, a, b, 0, 10)
	ms := inbox(10)
	for got := 0; got < 10; {
		n, err := b.fd.ReadBatch(ms, 0)
		if err != nil || n != 2 {
			t.Fatalf("ReadBatch of 10 on MaxChain 2 after %d = %d, %v; want 2", got, n, err)
		}
		checkNumbered(t, ms, n, got)
		got += n
	}
	out := make([]iomodel.Message, 10)
	for i := range out {
		out[i] = iomodel.Message{Buffers: [][]byte{[]byte(fmt.Sprint("datagram ", i))}, Addr: b.fd.LocalAddr()}
	}
	before := r.Stats()
	if n, err := a.fd.WriteBatch(out, 0); err != nil || n != 10 {
		t.Fatalf("WriteBatch of 10 on MaxChain 2 = %d, %v", n, err)
	}
	if ops := r.Stats().Ops - before.Ops; ops != 10 {
		t.Errorf("WriteBatch of 10: %d requests on the ring, want 10 (five chains of 2)", ops)
	}
	for got := 0; got < 10; {
		n, err := b.fd.ReadBatch(ms, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkNumbered(t, ms, n, got)
		got += n
	}
}

// TestReadBatchDeadline: a chained ReadBatch that waits ends at its
// deadline with os.ErrDeadlineExceeded, and when the deadline is moved
// into the past meanwhile; every request of the chain has completed when
// it returns (the next ReadBatch gets the next datagram, first).
func TestReadBatchDeadline(t *testing.T) {
	r := ownRing(t, 0)
	requireBatchOps(t, r)
	a, b := udpPair(t, WithRing(r), WithRingOnly())
	ms := inbox(8)
	b.fd.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	if n, err := b.fd.ReadBatch(ms, 0); !errors.Is(err, os.ErrDeadlineExceeded) || n != 0 {
		t.Fatalf("ReadBatch past its deadline = %d, %v; want os.ErrDeadlineExceeded", n, err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("ReadBatch returned after %v, before its 50 ms deadline", d)
	}

	b.fd.SetReadDeadline(time.Now().Add(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, err := b.fd.ReadBatch(ms, 0)
		done <- err
	}()
	pendingRead2(b)
	b.fd.SetReadDeadline(time.Now().Add(-time.Second))
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ReadBatch whose deadline moved into the past: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadBatch did not end when its deadline moved into the past")
	}
	if s := r.Stats(); s.Active != 0 {
		t.Fatalf("%d requests still active after ReadBatch returned", s.Active)
	}
	b.fd.SetReadDeadline(time.Time{})
	sendNumbered(t, a, b, 0, 3)
	n, err := b.fd.ReadBatch(ms, 0)
	if err != nil || n != 3 {
		t.Fatalf("ReadBatch after the deadlines = %d, %v; want 3", n, err)
	}
	checkNumbered(t, ms, n, 0)
}

// TestReadBatchClose: Close ends a chained ReadBatch that waits, with
// net.ErrClosed, once the ring has cancelled every request of the chain.
func TestReadBatchClose(t *testing.T) {
	r := ownRing(t, 0)
	requireBatchOps(t, r)
	_, b := udpPair(t, WithRing(r), WithRingOnly())
	ms := inbox(16)
	done := make(chan error, 1)
	go func() {
		_, err := b.fd.ReadBatch(ms, 0)
		done <- err
	}()
	for b.fd.Stats().Read.Syscalls == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	b.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadBatch ended by Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a chained ReadBatch")
	}
	if s := r.Stats(); s.Active != 0 {
		t.Fatalf("%d requests still active after Close", s.Active)
	}
}

// TestBatchWithoutOps: a kernel without RECVMSG or SENDMSG keeps the
// loop's fallback (recvmmsg and sendmmsg, POLL_ADD between tries), and so
// does a WriteBatch on an AF_UNIX datagram socket.
func TestBatchWithoutOps(t *testing.T) {
	for _, op := range []uint8{uring.IORING_OP_RECVMSG, uring.IORING_OP_SENDMSG} {
		r := ownRing(t, 0)
		asked := countSupports(t, int(op))
		a, b := udpPair(t, WithRing(r), WithRingOnly())
		out := make([]iomodel.Message, 8)
		for i := range out {
			out[i] = iomodel.Message{Buffers: [][]byte{[]byte(fmt.Sprint("datagram ", i))}, Addr: b.fd.LocalAddr()}
		}
		before := r.Stats()
		if n, err := a.fd.WriteBatch(out, 0); err != nil || n != 8 {
			t.Fatalf("op %d off: WriteBatch = %d, %v", op, n, err)
		}
		ms := inbox(8)
		n, err := b.fd.ReadBatch(ms, 0)
		if err != nil || n != 8 {
			t.Fatalf("op %d off: ReadBatch = %d, %v", op, n, err)
		}
		checkNumbered(t, ms, n, 0)
		if asked[op].Load() == 0 {
			t.Errorf("op %d off: the ring was never asked for it", op)
		}
		if ops := r.Stats().Ops - before.Ops; op == uring.IORING_OP_RECVMSG && ops != 8 || op == uring.IORING_OP_SENDMSG && ops != 8 {
			t.Errorf("op %d off: %d requests on the ring, want the other batch's 8", op, ops)
		}
	}
}
