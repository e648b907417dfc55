package loop

import (
	"bytes"
	"testing"
)

// TestQueueStreaming: a queue that never empties (a reader as fast as the
// writer, a chunk behind) reuses its slots instead of growing, keeps the
// bytes in order, and, once emptied, goes back to the pool holding no
// chunk.
func TestQueueStreaming(t *testing.T) {
	q := newQueue()
	big := bytes.Repeat([]byte("0123456789abcdef"), chunkSize/16)
	q.push(big)
	for i := range 10000 {
		big[0] = byte(i)
		q.push(big)
		h := q.head()
		if len(h) != chunkSize || h[0] != byte(i-1) && i > 0 {
			t.Fatalf("round %d: head is %d bytes starting %d, want %d starting %d", i, len(h), h[0], chunkSize, byte(i-1))
		}
		q.advance(len(h))
	}
	if c := cap(q.chunks); c > 4 {
		t.Errorf("a queue two chunks deep grew to %d slots", c)
	}
	q.advance(len(q.head()))
	if q.n != 0 || len(q.chunks) != 0 || q.first != 0 {
		t.Fatalf("emptied: n %d, %d chunks, first %d", q.n, len(q.chunks), q.first)
	}
	q.free()
}

// TestQueueNoGarbage: a burst of output queued and sent allocates nothing
// once the pools have what it needs (the async engine queues every Write).
func TestQueueNoGarbage(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops what is put back at random")
	}
	p := make([]byte, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		q := newQueue()
		q.push(p)
		q.push(p)
		q.advance(len(q.head()))
		q.free()
	})
	if allocs != 0 {
		t.Errorf("a burst queued and sent: %v allocations, want 0", allocs)
	}
}

// TestQueueSmallHeadGrows: pieces written small first still make one head
// (one send), unless the small head is lent out, which never moves.
func TestQueueSmallHeadGrows(t *testing.T) {
	small := bytes.Repeat([]byte("s"), 100)
	large := bytes.Repeat([]byte("L"), 3000)
	want := append(append([]byte(nil), small...), large...)

	q := newQueue()
	q.push(small)
	q.push(large)
	if h := q.head(); !bytes.Equal(h, want) {
		t.Errorf("not lent: head is %d bytes, want the %d written", len(h), len(want))
	}
	q.free()

	q = newQueue()
	q.push(small)
	q.lend()
	lent := q.head()
	q.push(large)
	if h := q.head(); len(h) != smallChunk || &h[0] != &lent[0] {
		t.Errorf("lent: head is %d bytes at %p, want the lent %d at %p", len(h), &h[0], smallChunk, &lent[0])
	}
	var got []byte
	for q.len() > 0 {
		h := q.head()
		got = append(got, h...)
		q.advance(len(h))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("lent: the queue gave %d bytes, not the %d written in order", len(got), len(want))
	}
	q.free()

	// Partly sent, then grown: the rest of the small head moves.
	q = newQueue()
	q.push(small)
	q.lend()
	q.advance(40)
	q.push(large)
	if h := q.head(); !bytes.Equal(h, want[40:]) {
		t.Errorf("after a short send: head is %d bytes, want %d", len(h), len(want)-40)
	}
	q.free()
}
