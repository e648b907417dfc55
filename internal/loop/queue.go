package loop

import "sync"

// chunkSize is the size of a write queue's chunks: bytes written are
// copied into the last chunk while it has room, so many small writes cost
// one chunk, and a chunk is never reallocated, so the head a completion
// engine has handed to the kernel stays where it is while Write appends
// (the one exception, a small first chunk nobody holds, is in push).
const chunkSize = 16 << 10

// smallChunk is the size of the first chunk of a queue whose first write
// is smaller: an engine that queues every Write (async) holds one per
// connection with output in flight, and most answers are small, where 16
// KiB each would hold a megabyte for 64 connections answered at once.
const smallChunk = 1 << 10

// chunkPool and smallPool hold chunks as pointers to their arrays, so
// that putting one back allocates nothing.
var (
	chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}
	smallPool = sync.Pool{New: func() any { return new([smallChunk]byte) }}
)

// queuePool holds queues that have been emptied: a Conn holds one only
// while output waits (an idle Conn holds none), and an engine whose every
// Write queues (async) takes one per burst of output.
var queuePool = sync.Pool{New: func() any { return new(queue) }}

// queue is a Conn's output the socket has not taken yet: a FIFO of chunks.
// The Conn's mutex guards it.
type queue struct {
	// chunks[first][off:] is the next byte to send; the slots before
	// first are nil, and reused once the queue empties (or, when it never
	// does, once append would grow the slice).
	chunks [][]byte
	first  int
	off    int
	n      int  // bytes queued
	lent   bool // the head is lent out (Conn.Head) until the next advance
}

// newQueue takes an empty queue from the pool.
func newQueue() *queue { return queuePool.Get().(*queue) }

// free drops what is queued and puts q back in the pool; the caller
// forgets q.
func (q *queue) free() {
	q.reset()
	queuePool.Put(q)
}

// len is how many bytes are queued; a nil queue is empty (an idle Conn
// holds none).
func (q *queue) len() int {
	if q == nil {
		return 0
	}
	return q.n
}

// push copies p to the tail.
func (q *queue) push(p []byte) {
	q.n += len(p)
	for len(p) > 0 {
		if k := len(q.chunks); k > q.first {
			last := q.chunks[k-1]
			if free := cap(last) - len(last); free > 0 {
				m := min(free, len(p))
				q.chunks[k-1] = append(last, p[:m]...)
				p = p[m:]
				continue
			}
		}
		if k := len(q.chunks); k == q.first+1 && !q.lent && cap(q.chunks[q.first]) == smallChunk {
			// The small first chunk is full and nobody holds it: it
			// becomes a full-size one, so what a Handler writes in a few
			// pieces, small first, still goes out in one send.
			c := chunkPool.Get().(*[chunkSize]byte)[:0]
			c = append(c, q.chunks[q.first][q.off:]...)
			smallPool.Put((*[smallChunk]byte)(q.chunks[q.first][:smallChunk]))
			q.chunks[q.first], q.off = c, 0
			continue
		}
		var c []byte
		switch {
		case len(p) >= chunkSize:
			// A large write gets a chunk of its own size: one copy.
			c = make([]byte, 0, len(p))
		case len(p) < smallChunk && len(q.chunks) == 0:
			c = smallPool.Get().(*[smallChunk]byte)[:0]
		default:
			c = chunkPool.Get().(*[chunkSize]byte)[:0]
		}
		if q.first > 0 && len(q.chunks) == cap(q.chunks) {
			// Full, with room at the front: move down rather than grow.
			m := copy(q.chunks, q.chunks[q.first:])
			clear(q.chunks[m:])
			q.chunks, q.first = q.chunks[:m], 0
		}
		q.chunks = append(q.chunks, c)
	}
}

// head is the next bytes to send: the rest of the first chunk. Once lent
// (lend), they stay where they are until the next advance, however much
// push adds.
func (q *queue) head() []byte {
	if q == nil || q.first == len(q.chunks) {
		return nil
	}
	return q.chunks[q.first][q.off:]
}

// lend marks the head as lent to the kernel until the next advance: push
// must not move it (Conn.Head).
func (q *queue) lend() {
	if q != nil {
		q.lent = true
	}
}

// advance drops n sent bytes from the head.
func (q *queue) advance(n int) {
	q.lent = false
	q.n -= n
	for n > 0 {
		c := q.chunks[q.first]
		if rest := len(c) - q.off; n < rest {
			q.off += n
			return
		} else {
			n -= rest
		}
		q.pop()
	}
	if q.first < len(q.chunks) && q.off == len(q.chunks[q.first]) && q.n == 0 {
		q.reset()
	}
}

// pop drops the first chunk.
func (q *queue) pop() {
	c := q.chunks[q.first]
	q.chunks[q.first] = nil
	q.first++
	q.off = 0
	if q.first == len(q.chunks) {
		q.chunks, q.first = q.chunks[:0], 0
	}
	switch cap(c) {
	case chunkSize:
		chunkPool.Put((*[chunkSize]byte)(c[:chunkSize]))
	case smallChunk:
		smallPool.Put((*[smallChunk]byte)(c[:smallChunk]))
	}
}

// reset drops everything queued.
func (q *queue) reset() {
	if q == nil {
		return
	}
	for q.first < len(q.chunks) {
		q.pop()
	}
	q.n, q.off, q.lent = 0, 0, false
}
