package conntest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/iomodel/iomodel"
)

// deadliner is the part of net.Conn the deadline checks need.
type deadliner interface {
	SetDeadline(time.Time) error
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// statser is implemented by this module's Conns; the suite uses it only to
// see that a call has started before it interferes with it.
type statser interface{ Stats() iomodel.Stats }

func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// chunks cuts data into pieces of 1..max bytes.
func chunks(r *rand.Rand, data []byte, max int) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := 1 + r.IntN(max)
		n = min(n, len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// sendAll sends each piece in turn; window, if not nil, is taken once per
// piece (the receiver gives it back), so a lossy transport is never overrun.
func sendAll(c iomodel.Conn, pieces [][]byte, window chan struct{}) error {
	for i, p := range pieces {
		if window != nil {
			window <- struct{}{}
		}
		n, err := c.Send(p)
		if err != nil {
			return fmt.Errorf("sending piece #%d (%d bytes): %v", i, len(p), err)
		}
		if n != len(p) {
			return fmt.Errorf("sending piece #%d: Send wrote %d of %d bytes with no error", i, n, len(p))
		}
	}
	return nil
}

// recvStream reads exactly n bytes with buffers of random size.
func recvStream(r *rand.Rand, c iomodel.Conn, n, maxBuf int) ([]byte, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, maxBuf)
	for len(out) < n {
		b := buf[:1+r.IntN(maxBuf)]
		k, err := c.Recv(b)
		if k < 0 || k > len(b) {
			return out, fmt.Errorf("a Recv returned n=%d for a %d-byte buffer", k, len(b))
		}
		if k == 0 && err == nil {
			return out, fmt.Errorf("a Recv returned 0, nil on a stream after %d of %d bytes", len(out), n)
		}
		out = append(out, b[:k]...)
		if err != nil {
			return out, fmt.Errorf("a Recv after %d of %d bytes: %v", len(out), n, err)
		}
	}
	return out, nil
}

// recvMessages reads count messages, giving a window slot back after each.
func recvMessages(c iomodel.Conn, count, maxSize int, window chan struct{}) ([][]byte, error) {
	var out [][]byte
	buf := make([]byte, maxSize+1)
	for len(out) < count {
		k, err := c.Recv(buf)
		if err != nil {
			return out, fmt.Errorf("receiving message #%d: %v", len(out), err)
		}
		out = append(out, append([]byte(nil), buf[:k]...))
		if window != nil {
			<-window
		}
	}
	return out, nil
}

// compareStream reports the first difference between two byte streams with
// go-cmp on a window around it, rather than dumping megabytes.
func compareStream(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-16)
	return fmt.Sprintf("streams differ at byte %d (sent %d bytes, received %d); around it (-sent +received):\n%s",
		i, len(want), len(got), cmp.Diff(want[lo:min(len(want), i+16)], got[lo:min(len(got), i+16)]))
}

// compareMessages is compareStream for messages: go-cmp on the first
// message that differs (cmp over megabytes of bytes is slow and unreadable).
func compareMessages(want, got [][]byte) string {
	for i := 0; i < len(want) && i < len(got); i++ {
		if !bytes.Equal(want[i], got[i]) {
			return fmt.Sprintf("message #%d differs (-sent +received):\n%s", i, cmp.Diff(want[i], got[i]))
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("sent %d messages, received %d", len(want), len(got))
	}
	return ""
}

// transfer sends data from a to b in random pieces and checks what arrives.
func transfer(t *testing.T, r *rand.Rand, a, b iomodel.Conn, tr Traits, size, maxPiece int) error {
	return transferData(r, a, b, tr, randomBytes(r, size), maxPiece)
}

// transferData sends data from a to b in random pieces and checks what
// arrives.
func transferData(r *rand.Rand, a, b iomodel.Conn, tr Traits, data []byte, maxPiece int) error {
	size := len(data)
	pieces := chunks(r, data, maxPiece)
	var window chan struct{}
	if tr.Messages {
		window = make(chan struct{}, 8)
	}
	errc := make(chan error, 1)
	go func() { errc <- sendAll(a, pieces, window) }()
	if tr.Messages {
		got, err := recvMessages(b, len(pieces), maxPiece, window)
		if err != nil {
			return err
		}
		if d := compareMessages(pieces, got); d != "" {
			return errors.New(d)
		}
	} else {
		got, err := recvStream(r, b, size, 2*maxPiece)
		if err != nil {
			return err
		}
		if d := compareStream(data, got); d != "" {
			return errors.New(d)
		}
	}
	return <-errc
}

// awaitPending gives a call started in another goroutine time to reach its
// wait. Every assertion that follows it holds whether or not the call got
// there; this only makes the "pending" case (the one worth testing) likely.
// With Stats it first sees the call counted, then lets it run on briefly.
func awaitPending(c iomodel.Conn, read bool, before uint64) {
	if s, ok := c.(statser); ok {
		for i := 0; i < 2000; i++ {
			st := s.Stats()
			calls := st.Write.Calls
			if read {
				calls = st.Read.Calls
			}
			if calls > before {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	time.Sleep(20 * time.Millisecond)
}

func callsSoFar(c iomodel.Conn, read bool) uint64 {
	if s, ok := c.(statser); ok {
		if read {
			return s.Stats().Read.Calls
		}
		return s.Stats().Write.Calls
	}
	return 0
}

// stallSend sends until the pair's buffers are full and the Send blocks,
// reporting progress in sent; it returns the error that ended it.
func stallSend(c iomodel.Conn, tr Traits, sent *atomic.Int64) error {
	size := 64 << 10
	if tr.Messages {
		size = 1 << 10
	}
	p := make([]byte, size)
	for {
		n, err := c.Send(p)
		sent.Add(int64(n))
		if err != nil {
			return err
		}
	}
}

// awaitStall waits until sent has stopped moving: the Send is blocked.
func awaitStall(sent *atomic.Int64) {
	last := int64(-1)
	for i := 0; i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
		cur := sent.Load()
		if cur == last && cur > 0 {
			return
		}
		last = cur
	}
}

func wantClosed(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("%s: got %s, want an error wrapping net.ErrClosed", what, describe(err))
	}
}

func wantTimeout(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%s: got %s, want an error wrapping os.ErrDeadlineExceeded", what, describe(err))
		return
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("%s: %s does not implement net.Error with Timeout() true", what, describe(err))
	}
}

// recvOne receives one message or a few stream bytes (up to len(want)) and
// checks them.
func recvExact(c iomodel.Conn, want []byte) error {
	got := make([]byte, 0, len(want))
	buf := make([]byte, len(want)+1)
	for len(got) < len(want) {
		n, err := c.Recv(buf[:len(want)-len(got)])
		got = append(got, buf[:n]...)
		if err != nil {
			return fmt.Errorf("a Recv after %d of %d bytes: %v", len(got), len(want), err)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("received bytes differ (-want +got):\n%s", d)
	}
	return nil
}

// background runs f on its own goroutine and makes t's cleanup wait for it
// to return. A goroutine that closes a descriptor after its test has ended
// is seen by whichever test runs next, which may be counting descriptors
// (RunNew). stop, run by the cleanup before it waits, is what makes f
// return (closing a listener, say); nil when the test's own defers do it.
func background(t testing.TB, stop func(), f func()) {
	done := make(chan struct{})
	t.Cleanup(func() {
		if stop != nil {
			stop()
		}
		<-done
	})
	go func() {
		defer close(done)
		f()
	}()
}

// waitWithin waits for wg at most d, reporting whether it ended.
func waitWithin(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
