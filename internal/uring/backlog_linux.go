package uring

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startBacklog moves queued requests into the SQ, in the order they were
// submitted, while the SQ has room (and, under Config.MaxInFlight, the CQEs
// in flight stay within it). A chain moves whole or waits whole
// (chain.go): its SQEs all go into this round's flush, submitted by one
// enter. It keeps the backlog's figures for Stats: its length, and how long
// what leaves it waited.
func (r *Ring) startBacklog() {
	var now int64 // read once, the first time it is needed
	i := 0
	for i < len(r.backlog) {
		end, need := r.chainAt(i)
		if r.inflight+need > r.budget || int(r.q.sqFree()) < need {
			break
		}
		for _, w := range r.backlog[i:end] {
			if w.since != 0 {
				if now == 0 {
					now = r.clock()
				}
				r.waited(now - w.since)
			}
			r.start(w.req, sqesOf(w.req), w.link)
		}
		i = end
	}
	n := copy(r.backlog, r.backlog[i:])
	clear(r.backlog[n:])
	r.backlog = r.backlog[:n]
	// What is left waits from this round on; the new arrivals are at the
	// end, behind those that waited before.
	for j := n - 1; j >= 0 && r.backlog[j].since == 0; j-- {
		if now == 0 {
			now = r.clock()
		}
		r.backlog[j].since = now
	}
	r.noteBacklog()
}

// clock is the owner's time for the backlog's figures: nanoseconds since
// it started, never 0.
func (r *Ring) clock() int64 { return max(int64(time.Since(r.epoch)), 1) }

// waited records that a request left the backlog after d nanoseconds.
func (r *Ring) waited(d int64) {
	if d > r.maxBacklogWait.Load() {
		r.maxBacklogWait.Store(d)
	}
}

// noteBacklog publishes the backlog's length for Stats.
func (r *Ring) noteBacklog() {
	n := uint64(len(r.backlog))
	if n != r.backlogLen.Load() {
		r.backlogLen.Store(n)
	}
	if n > r.maxBacklog.Load() {
		r.maxBacklog.Store(n)
	}
}

// chainAt is the end (exclusive) of the chain that starts at backlog entry
// i, a lone request being a chain of one, and the SQEs, each a CQE, it
// needs.
func (r *Ring) chainAt(i int) (end, need int) {
	for end = i; end < len(r.backlog); {
		need += sqesOf(r.backlog[end].req)
		end++
		if !r.backlog[end-1].link {
			break
		}
	}
	return end, need
}

// sqesOf is how many SQEs, and CQEs, q takes: 2 with a linked timeout.
func sqesOf(q *Req) int {
	if q.timeout > 0 {
		return 2
	}
	return 1
}

// start puts q in the SQ, with its linked timeout when need is 2; link
// links it to the SQE that follows (a chain's next request).
func (r *Ring) start(q *Req, need int, link bool) {
	idx := r.newSlot()
	s := r.slots[idx]
	s.req, s.pending = q, uint8(need)
	q.slot, q.state = idx, stateInflight
	r.inflight += need

	e := r.q.sqe()
	switch q.op {
	case IORING_OP_RECV:
		prepRecv(e, q.fd, q.buf, q.n, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_SEND:
		prepSend(e, q.fd, q.buf, q.n, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_READ:
		prepRead(e, q.fd, q.buf, q.n, q.off)
	case IORING_OP_WRITE:
		prepWrite(e, q.fd, q.buf, q.n, q.off)
	case IORING_OP_ACCEPT:
		s.saLen = uint32(unsafe.Sizeof(s.sa))
		prepAccept(e, q.fd, unsafe.Pointer(&s.sa), &s.saLen, q.opFlags)
	case IORING_OP_CONNECT:
		s.sa = q.sa
		prepConnect(e, q.fd, unsafe.Pointer(&s.sa), q.saLen)
	case IORING_OP_POLL_ADD:
		prepPollAdd(e, q.fd, q.opFlags)
	case IORING_OP_RECVMSG:
		prepRecvMsg(e, q.fd, q.buf, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_SENDMSG:
		prepSendMsg(e, q.fd, q.buf, q.opFlags)
		if q.pollFirst {
			e.ioprio |= IORING_RECVSEND_POLL_FIRST
		}
	case IORING_OP_WRITEV:
		prepWritev(e, q.fd, q.buf, q.n, q.off)
	case IORING_OP_SPLICE:
		prepSplice(e, q.fdIn, q.offIn, q.fd, q.off, q.n, q.opFlags)
	default:
		prepNop(e)
	}
	e.user_data = userData(idx, s.gen, kindOp)
	if link {
		e.flags |= IOSQE_IO_LINK
	}
	if need == 2 {
		e.flags |= IOSQE_IO_LINK
		s.ts = __kernel_timespec{tv_sec: int64(q.timeout / time.Second), tv_nsec: int64(q.timeout % time.Second)}
		t := r.q.sqe()
		prepLinkTimeout(t, unsafe.Pointer(&s.ts))
		t.user_data = userData(idx, s.gen, kindTimeout)
	}
}

// newSlot takes a free slot, making one if none is free.
func (r *Ring) newSlot() uint32 {
	if n := len(r.free); n > 0 {
		idx := r.free[n-1]
		r.free = r.free[:n-1]
		return idx
	}
	s := new(slot)
	r.pinner.Pin(s) // the kernel reads ts and sa, and writes sa and saLen
	r.slots = append(r.slots, s)
	return uint32(len(r.slots) - 1)
}

// freeSlot makes idx reusable; the new generation makes any late completion
// naming the old one recognisable.
func (r *Ring) freeSlot(idx uint32) {
	s := r.slots[idx]
	s.req, s.tracker = nil, nil
	s.gen++
	r.free = append(r.free, idx)
}

// cancelQueued completes, with -ECANCELED and without the kernel, every
// queued request that match accepts, and the rest of its chain with it,
// and takes them out of the backlog. match may read the Req: a request in
// the backlog is its caller's to touch again only once it has completed.
func (r *Ring) cancelQueued(match func(*Req) bool) {
	keep := r.backlog[:0]
	for i := 0; i < len(r.backlog); {
		end, _ := r.chainAt(i)
		chain := r.backlog[i:end]
		hit := false
		for _, w := range chain {
			if match(w.req) {
				hit = true
				break
			}
		}
		if hit {
			for _, w := range chain {
				if w.since != 0 {
					r.waited(r.clock() - w.since)
				}
				r.finish(w.req, -int32(unix.ECANCELED), false) // w.req is the caller's from the next signal on
			}
		} else {
			keep = append(keep, chain...) // len(keep) <= i: copies down in place
		}
		i = end
	}
	clear(r.backlog[len(keep):])
	r.backlog = keep
	r.noteBacklog()
}

// doCancels handles the cancels handed over, and those held back before,
// and returns those that must wait again for room in the SQ. None is
// dropped: a cancel is discarded only once its request has completed. A
// cancel never waits for room in the CQ: its completion, like any, waits in
// kernel memory if the CQ is full (IORING_FEAT_NODROP), so a cancel cannot
// wait for a completion only it would bring.
func (r *Ring) doCancels(cs []cancelReq) []cancelReq {
	keep := cs[:0]
	for _, c := range cs {
		if c.req == nil {
			// Queued requests on fd never reach the kernel; they
			// complete now, room for the cancel or not.
			r.cancelQueued(func(q *Req) bool { return q.fd == c.fd })
			if r.q.sqFree() == 0 {
				keep = append(keep, c) // no room in the SQ: next round
				continue
			}
			idx := r.newSlot()
			r.slots[idx].tracker = c.tracker
			e := r.q.sqe()
			prepCancelFD(e, c.fd)
			e.user_data = userData(idx, r.slots[idx].gen, kindCancelFD)
			r.inflight++
			continue
		}
		q := c.req
		if q.seq.Load() != c.seq {
			continue // resubmitted since: this submission has completed
		}
		switch q.state {
		case stateQueued:
			r.cancelQueued(func(b *Req) bool { return b == q })
		case stateInflight:
			if q.cancelSent {
				continue
			}
			if r.q.sqFree() == 0 {
				keep = append(keep, c)
				continue
			}
			s := r.slots[q.slot]
			e := r.q.sqe()
			prepCancel(e, userData(q.slot, s.gen, kindOp))
			e.user_data = userData(0, 0, kindCancel)
			r.inflight++
			q.cancelSent = true
		}
	}
	clear(cs[len(keep):])
	return keep
}

// releaseTrackers, as the owner stops, lets go of the Trackers of cancels by
// descriptor still held back or in flight: closing the ring ends them, so
// none can reach the descriptor afterwards.
func (r *Ring) releaseTrackers() {
	for _, c := range r.cwork {
		if c.tracker != nil {
			c.tracker.done()
		}
	}
	clear(r.cwork)
	r.cwork = r.cwork[:0]
	for _, s := range r.slots {
		if s.tracker != nil {
			s.tracker.done()
			s.tracker = nil
		}
	}
}
