package uring

import "errors"

// A chain is requests linked with IOSQE_IO_LINK (io_uring_enter(2),
// "IOSQE_IO_LINK"): the kernel starts each one only after the one before it
// has completed, and when one fails (a negative result; for RECV, RECVMSG,
// SEND and SENDMSG a short count too, but only under MSG_WAITALL) it
// completes every request after it with -ECANCELED, without starting them.
// So a chain whose head waits and whose other requests carry MSG_DONTWAIT
// does "the first k, in order": the first EAGAIN ends it.
//
// The chain's invariant, kept by the owner (backlog_linux.go): a chain is
// one run of consecutive backlog entries, each but the last marked link,
// and it moves into the SQ whole or not at all, all of it before the one
// io_uring_enter that submits it. The kernel ends a link at the last SQE of
// a submission, so a chain split between two enters would run as two
// chains, the second one's head not waiting for the first's tail. With
// IORING_SETUP_SUBMIT_ALL the kernel consumes every SQE handed to it, so
// what the owner flushes in one enter is submitted in that enter.
//
// A chain counts as many CQEs against any bound (Config.MaxInFlight) as it
// has requests (each posts one, -ECANCELED or not), and a cancel of any of its requests while
// the chain is still in the backlog completes the whole chain there: a
// chain's tail never reaches the kernel without its head.

// Errors of SubmitChain.
var (
	ErrChainTooLong = errors.New("uring: chain longer than the ring's MaxChain")
	ErrChainTimeout = errors.New("uring: a request in a chain of two or more has a linked timeout")
)

// MaxChain is the most requests SubmitChain takes in one chain: a quarter of
// the SQ (at least one), and of any bound on the CQEs in flight, so that a
// chain always finds room once the requests before it have gone.
func (r *Ring) MaxChain() int { return r.maxChain }

// SubmitChain hands qs to the owner as one chain (see above): the kernel
// runs qs[i+1] only once qs[i] has completed, and cancels the rest after
// one that fails. Every request has its own Result (the cancelled ones
// -ECANCELED), and all of them complete together (Done, Completed) once the
// chain's last CQE is reaped, so the caller is woken once. A chain of one is
// Submit. Requests in a longer chain may not carry a linked timeout
// (SetTimeout): it would bound only the request before it, and a chain's
// caller bounds the whole chain by cancelling it (CancelChain). No request
// may appear twice, nor be submitted already.
func (r *Ring) SubmitChain(qs []*Req) error {
	if len(qs) > r.maxChain {
		return ErrChainTooLong
	}
	if len(qs) > 1 {
		for _, q := range qs {
			if q.timeout > 0 {
				return ErrChainTimeout
			}
		}
	}
	for i, q := range qs {
		q.prepareSubmit()
		q.head, q.next = qs[0], nil
		if i+1 < len(qs) {
			q.next = qs[i+1]
		}
	}
	if len(qs) > 0 {
		qs[0].left = len(qs)
	}
	r.active.Add(int32(len(qs)))
	r.mu.Lock()
	if r.refs == 0 {
		r.mu.Unlock()
		r.active.Add(-int32(len(qs)))
		for _, q := range qs {
			q.abandonSubmit()
		}
		return ErrRingClosed
	}
	for i, q := range qs {
		r.incoming = append(r.incoming, queued{req: q, seq: q.seq.Load(), link: i < len(qs)-1})
	}
	r.mu.Unlock()
	r.posted.Add(1)
	r.wakeIfSleeping()
	return nil
}

// CancelChain cancels every request of a chain SubmitChain took (Cancel on
// each, in order): the kernel cancels the one that waits, and the link then
// completes those after it. Every request still completes; wait for all.
func (r *Ring) CancelChain(qs []*Req) {
	for _, q := range qs {
		r.Cancel(q)
	}
}
