package uring

import "golang.org/x/sys/unix"

// reap takes every posted completion and reports how many callers it woke.
func (r *Ring) reap() (woken int) {
	head, tail := r.q.completions()
	for i := head; i != tail; i++ {
		c := r.q.cqe(i)
		ud, res := c.user_data, c.res
		r.inflight--
		switch ud >> 24 & 0xff {
		case kindWake:
			r.armed = false
		case kindCancel:
		case kindCancelFD:
			idx := uint32(ud & (maxSlots - 1))
			t := r.slots[idx].tracker
			r.freeSlot(idx)
			if t != nil {
				t.done()
			}
		case kindOp, kindTimeout:
			idx, gen := uint32(ud&(maxSlots-1)), uint32(ud>>32)
			s := r.slots[idx]
			if s.gen != gen || s.req == nil {
				panic("uring: completion for a stale slot")
			}
			q := s.req
			if ud>>24&0xff == kindOp {
				q.res = res
			} else if res == -int32(unix.ETIME) {
				q.timedOut = true
			}
			s.pending--
			if s.pending == 0 {
				if q.op == IORING_OP_ACCEPT {
					q.sa, q.saLen = s.sa, s.saLen
				}
				r.freeSlot(idx)
				r.finish(q, q.res, q.timedOut)
			}
		}
	}
	r.q.consumed(tail)
	return r.signal()
}

// finish completes q: the kernel is done with it, so its buffer is unpinned
// (unless its caller does that, KeepPinned). Once every request of q's
// chain has finished, the caller is told of all of them by the next signal,
// which the owner runs before it waits or submits again.
func (r *Ring) finish(q *Req, res int32, timedOut bool) {
	q.res, q.timedOut = res, timedOut
	q.state = stateIdle
	r.users--
	if !q.keepPin {
		q.unpin()
	}
	h := q.head
	if h.left--; h.left > 0 {
		return
	}
	for p := h; p != nil; p = p.next {
		r.finished = append(r.finished, p)
	}
}

// signal tells the callers of the requests finished since the last signal.
// The shared counters are updated once for all of them, before any caller
// is told, so a caller that sees its completion sees it counted; and every
// one of them is marked completed before any is told, so a chain's caller,
// woken by any of its requests, finds the whole chain completed.
func (r *Ring) signal() (woken int) {
	if len(r.finished) == 0 {
		return 0
	}
	r.active.Add(-int32(len(r.finished)))
	r.ops.Add(uint64(len(r.finished)))
	// Once completed is set the caller may reuse q: read what we need first.
	for _, q := range r.finished {
		r.tells = append(r.tells, tell{q.done, q.tracker, q.oneshot})
	}
	for _, q := range r.finished {
		q.completed.Store(true)
	}
	for _, w := range r.tells {
		if w.oneshot {
			close(w.done)
		} else {
			select {
			case w.done <- struct{}{}:
			default: // a stale token is there already: it wakes the caller just as well
			}
		}
		if w.tracker != nil {
			w.tracker.done()
		}
	}
	woken = len(r.finished)
	clear(r.finished)
	r.finished = r.finished[:0]
	clear(r.tells)
	r.tells = r.tells[:0]
	return woken
}
