package loop

import "sync"

// chunkSize is the size of a write queue's chunks: bytes written are
// copied into the last chunk while it has room, so many small writes cost
// one chunk, and a chunk is never reallocated, so the head a completion
// engine has handed to the kernel stays where it is while Write appends.
const chunkSize = 16 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// queue is a Conn's output the socket has not taken yet: a FIFO of chunks.
// The Conn's mutex guards it.
type queue struct {
	chunks [][]byte // chunks[0][off:] is the next byte to send
	off    int
	n      int // bytes queued
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
		if k := len(q.chunks); k > 0 {
			last := q.chunks[k-1]
			if free := cap(last) - len(last); free > 0 {
				m := min(free, len(p))
				q.chunks[k-1] = append(last, p[:m]...)
				p = p[m:]
				continue
			}
		}
		var c []byte
		if len(p) >= chunkSize {
			// A large write gets a chunk of its own size: one copy.
			c = make([]byte, 0, len(p))
		} else {
			c = (*chunkPool.Get().(*[]byte))[:0]
		}
		q.chunks = append(q.chunks, c)
	}
}

// head is the next bytes to send: the rest of the first chunk.
func (q *queue) head() []byte {
	if q == nil || len(q.chunks) == 0 {
		return nil
	}
	return q.chunks[0][q.off:]
}

// advance drops n sent bytes from the head.
func (q *queue) advance(n int) {
	q.n -= n
	for n > 0 {
		c := q.chunks[0]
		if rest := len(c) - q.off; n < rest {
			q.off += n
			return
		} else {
			n -= rest
		}
		q.pop()
	}
	if len(q.chunks) > 0 && q.off == len(q.chunks[0]) && q.n == 0 {
		q.reset()
	}
}

// pop drops the first chunk.
func (q *queue) pop() {
	c := q.chunks[0]
	q.chunks[0] = nil
	q.chunks = q.chunks[1:]
	q.off = 0
	if cap(c) == chunkSize {
		c = c[:0]
		chunkPool.Put(&c)
	}
	if len(q.chunks) == 0 {
		q.chunks = nil // an idle connection holds no slice either
	}
}

// reset drops everything queued.
func (q *queue) reset() {
	if q == nil {
		return
	}
	for len(q.chunks) > 0 {
		q.pop()
	}
	q.n, q.off = 0, 0
}
