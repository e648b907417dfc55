package conntest

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// maxPiece is the largest Send the data checks make: large enough to force
// short writes on a stream, within any socket's message size otherwise.
func maxPiece(tr Traits) int {
	if tr.Messages {
		return 1 << 10
	}
	return 64 << 10
}

func testRandomStream(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	r := newRand(t)
	if err := transfer(t, r, p.A, p.B, tr, 1<<20, maxPiece(tr)); err != nil {
		t.Fatalf("A to B: %v", err)
	}
	if tr.OneWay {
		return
	}
	if err := transfer(t, r, p.B, p.A, tr, 1<<20, maxPiece(tr)); err != nil {
		t.Fatalf("B to A: %v", err)
	}
}

func testPingPong(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	r := newRand(t)
	for i := 0; i < 1000; i++ {
		msg := randomBytes(r, 1+r.IntN(128))
		if _, err := p.A.Send(msg); err != nil {
			t.Fatalf("round %d: A.Send: %v", i, err)
		}
		if err := recvExact(p.B, msg); err != nil {
			t.Fatalf("round %d: B: %v", i, err)
		}
		if _, err := p.B.Send(msg); err != nil {
			t.Fatalf("round %d: B.Send: %v", i, err)
		}
		if err := recvExact(p.A, msg); err != nil {
			t.Fatalf("round %d: A: %v", i, err)
		}
	}
}

// testLargeTransfer moves 8 MiB each way at the same time (one way on a
// pipe), in random pieces, and compares the streams.
func testLargeTransfer(t *testing.T, mp MakePipe, tr Traits) {
	const size = 8 << 20
	p := open(t, mp)
	r1, r2 := newRand(t), newRand(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = transfer(t, r1, p.A, p.B, tr, size, maxPiece(tr)) })
	if !tr.OneWay {
		wg.Go(func() { errs[1] = transfer(t, r2, p.B, p.A, tr, size, maxPiece(tr)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", [...]string{"A to B", "B to A"}[i], err)
		}
	}
}

// testConcurrentSends has several goroutines send blocks, each filled with
// its own byte, at once. Every block must arrive whole: bytes of concurrent
// Sends never interleave.
func testConcurrentSends(t *testing.T, mp MakePipe, tr Traits) {
	const senders, perSender = 8, 16
	block := 256 << 10 // larger than a socket buffer: forces short writes
	if tr.Messages {
		block = 1 << 10
	}
	p := open(t, mp)
	var window chan struct{}
	if tr.Lossy {
		window = make(chan struct{}, 8)
	}
	errc := make(chan error, senders)
	for s := 0; s < senders; s++ {
		go func() {
			b := bytes.Repeat([]byte{byte('a' + s)}, block)
			var err error
			for i := 0; i < perSender && err == nil; i++ {
				if window != nil {
					window <- struct{}{}
				}
				var n int
				n, err = p.A.Send(b)
				if err == nil && n != len(b) {
					err = fmt.Errorf("sender %d: Send wrote %d of %d bytes with no error", s, n, len(b))
				}
			}
			errc <- err
		}()
	}
	counts := map[byte]int{}
	buf := make([]byte, block+1)
	for i := 0; i < senders*perSender; i++ {
		var got []byte
		if tr.Messages {
			n, err := p.B.Recv(buf)
			if err != nil {
				t.Fatalf("Recv of block %d: %v", i, err)
			}
			got = buf[:n]
			if window != nil {
				<-window
			}
		} else {
			var err error
			if got, err = recvFull(p.B, buf[:block]); err != nil {
				t.Fatalf("Recv of block %d: %v", i, err)
			}
		}
		if len(got) != block || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
			t.Fatalf("block %d is not one sender's bytes: %d bytes, %s", i, len(got), histogram(got))
		}
		counts[got[0]]++
	}
	for s := 0; s < senders; s++ {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	want := map[byte]int{}
	for s := 0; s < senders; s++ {
		want[byte('a'+s)] = perSender
	}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("blocks per sender (-want +got):\n%s", d)
	}
}

func recvFull(c interface{ Recv([]byte) (int, error) }, b []byte) ([]byte, error) {
	n := 0
	for n < len(b) {
		k, err := c.Recv(b[n:])
		n += k
		if err != nil {
			return b[:n], err
		}
	}
	return b, nil
}

func histogram(b []byte) string {
	h := map[byte]int{}
	for _, c := range b {
		h[c]++
	}
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf("%q×%d ", byte(k), h[byte(k)])
	}
	return s
}

// testConcurrentRecvs has several goroutines receive from one Conn at once:
// together they must get every byte (or message) exactly once.
func testConcurrentRecvs(t *testing.T, mp MakePipe, tr Traits) {
	const receivers = 4
	p := open(t, mp)
	r := newRand(t)
	var pieces [][]byte
	for i := 0; i < 512; i++ {
		pieces = append(pieces, bytes.Repeat([]byte{byte(i)}, 1+r.IntN(maxPiece(tr)/4)))
	}
	total := 0
	for _, pc := range pieces {
		total += len(pc)
	}
	var window chan struct{}
	if tr.Lossy {
		window = make(chan struct{}, 8)
	}
	var mu sync.Mutex
	got := map[byte]int{}
	var received, messages atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	recvErrs := make([]error, receivers)
	for i := 0; i < receivers; i++ {
		wg.Go(func() {
			buf := make([]byte, maxPiece(tr))
			for {
				n, err := p.B.Recv(buf)
				if err != nil {
					select {
					case <-done: // the end: the sender closed or we did
					default:
						recvErrs[i] = err
					}
					return
				}
				if tr.Messages && !bytes.Equal(buf[:n], bytes.Repeat(buf[:1], n)) {
					recvErrs[i] = fmt.Errorf("a message came apart: %s", histogram(buf[:n]))
					return
				}
				mu.Lock()
				for _, c := range buf[:n] {
					got[c]++
				}
				mu.Unlock()
				if window != nil {
					<-window
				}
				messages.Add(1)
				if received.Add(int64(n)) == int64(total) {
					close(done)
					return
				}
			}
		})
	}
	if err := sendAll(p.A, pieces, window); err != nil {
		t.Fatal(err)
	}
	<-done
	// Release the receivers still waiting: a stream ends with io.EOF when
	// the sender closes; a datagram socket has no end, so close ours.
	if tr.Connectionless {
		p.B.Close()
	} else {
		p.A.Close()
	}
	wg.Wait()
	for _, err := range recvErrs {
		if err != nil && err != io.EOF {
			t.Errorf("a receiver: %v", err)
		}
	}
	want := map[byte]int{}
	for _, pc := range pieces {
		want[pc[0]] += len(pc)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("bytes received per value (-sent +received):\n%s", d)
	}
	if tr.Messages && messages.Load() != int64(len(pieces)) {
		t.Errorf("received %d messages, sent %d", messages.Load(), len(pieces))
	}
}

func testZeroLength(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	if n, err := p.A.Send(nil); n != 0 || err != nil {
		t.Errorf("Send(nil) = %d, %v; want 0, nil", n, err)
	}
	if n, err := p.B.Recv([]byte{}); n != 0 || err != nil {
		t.Errorf("Recv(empty) = %d, %v; want 0, nil", n, err)
	}
	if tr.Connectionless {
		// On a datagram socket an empty Send is an empty datagram, as
		// net's UDPConn.Write(nil) sends: B reads it as 0, nil.
		if n, err := p.B.Recv(make([]byte, 8)); n != 0 || err != nil {
			t.Errorf("Recv of the empty datagram = %d, %s; want 0, nil", n, describe(err))
		}
	}
	// Otherwise the zero-length Send must not have put anything on the
	// wire: the first thing B receives is what A sends next.
	if _, err := p.A.Send([]byte("after")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := recvExact(p.B, []byte("after")); err != nil {
		t.Error(err)
	}
}

// testMessageBoundaries: each Send is one message, each Recv returns one
// whole message, and a buffer too small for a message keeps its first bytes
// and drops the rest (recv(2) on datagram and seqpacket sockets).
func testMessageBoundaries(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	var sent [][]byte
	for size := 1; size <= 64; size++ {
		sent = append(sent, bytes.Repeat([]byte{byte(size)}, size))
	}
	go sendAll(p.A, sent, nil)
	got, err := recvMessages(p.B, len(sent), 128, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := compareMessages(sent, got); d != "" {
		t.Fatal(d)
	}
	// Truncation: a 4-byte buffer gets the first 4 bytes of a 10-byte
	// message, and the next Recv gets the next message.
	if _, err := p.A.Send([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.A.Send([]byte("next")); err != nil {
		t.Fatal(err)
	}
	small := make([]byte, 4)
	if n, err := p.B.Recv(small); err != nil || string(small[:n]) != "0123" {
		t.Errorf("Recv into 4 bytes = %q, %v; want \"0123\", nil", small[:n], err)
	}
	if err := recvExact(p.B, []byte("next")); err != nil {
		t.Errorf("after a truncated message: %v", err)
	}
}
