package async

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// chain is one direction's requests for a batch, reused by every
// ReadBatch or WriteBatch (under that Half's lock), and the slice of their
// addresses that uring.SubmitChain takes.
type chain struct {
	reqs []uring.Req
	qs   []*uring.Req
}

// grow returns n requests, made on first use and kept.
func (c *chain) grow(n int) []*uring.Req {
	if len(c.reqs) < n {
		// None is in flight (await returns only once all have
		// completed, unpinned): the old ones are simply dropped.
		c.reqs = make([]uring.Req, n)
		c.qs = make([]*uring.Req, n)
		for i := range c.reqs {
			c.qs[i] = &c.reqs[i]
		}
	}
	return c.qs[:n]
}

// batch is OpRecvMmsg or OpSendMmsg on the ring: recvmmsg and sendmmsg have
// no opcode, so the batch is a chain (uring.SubmitChain, IOSQE_IO_LINK) of
// one RECVMSG or SENDMSG per header, op.Msg's first op.Count mmsghdrs, in
// one submission. The head waits as a lone request does (poll-first after
// the loop's EAGAIN); every other request carries MSG_DONTWAIT, so the
// first one that would wait fails with EAGAIN and the kernel completes the
// rest with -ECANCELED without starting them. A RECVMSG or SENDMSG whose
// result is not negative does not fail its link (without MSG_WAITALL,
// io_uring/net.c fails one only below its min_ret, 0), so the first k
// results are the first k datagrams, in order: recvmmsg with
// MSG_WAITFORONE, or sendmmsg. batch writes each one's length into its
// mmsghdr and returns k; 0 and the head's errno if the head failed.
//
// A chain is at most the ring's MaxChain long, so a larger batch is cut
// short: ReadBatch then returns fewer than asked, WriteBatch loops. A
// SENDMSG that fails after some went ends the chain and batch returns the
// count sent, as sendmmsg does; the loop's next attempt starts with the
// datagram that failed and reports its error.
//
// The chain has no linked timeout (await: the caller's timer and the
// cancel bound it). An AF_UNIX datagram send is not performed here, as a
// lone one is not (performs); nor on a kernel without RECVMSG or SENDMSG.
func (l *lifecycle) batch(fd *iofd.FD, h *iofd.Half, op *iofd.Op) (int, error) {
	recv := op.Kind == iofd.OpRecvMmsg
	flags := op.Flags
	if !recv {
		flags |= unix.MSG_NOSIGNAL
	}
	dl := h.Deadline()
	if dl != 0 && dl <= time.Now().UnixNano() {
		return 0, unix.ECANCELED // withdrawn: the loop's check reports the deadline
	}
	n := min(op.Count, l.ring.MaxChain())
	hdrs := unsafe.Slice((*iofd.Mmsghdr)(op.Msg), n)
	qs := l.dirOf(h).batch.grow(n)
	for i, q := range qs {
		f := flags
		if i > 0 {
			f |= unix.MSG_DONTWAIT
		}
		if recv {
			q.PrepRecvMsg(fd.Sysfd, unsafe.Pointer(&hdrs[i].Hdr), f)
		} else {
			q.PrepSendMsg(fd.Sysfd, unsafe.Pointer(&hdrs[i].Hdr), f)
		}
	}
	if l.speculate {
		// The loop's recvmmsg or sendmmsg just saw EAGAIN.
		qs[0].SetPollFirst()
	}
	if err := l.await(fd, h, qs, dl); err != nil {
		return 0, err
	}
	k := 0
	for i, q := range qs {
		res, _ := q.Result()
		if res < 0 {
			break
		}
		hdrs[i].Len = uint32(res)
		k++
	}
	if k == 0 {
		res, _ := qs[0].Result()
		return 0, syscall.Errno(-res)
	}
	return k, nil
}
