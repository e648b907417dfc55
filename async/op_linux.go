package async

import (
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// opKernel is an Op's request on the ring and the bytes it was given.
type opKernel struct {
	want int
	req  uring.Req
}

// maxOp caps one Op at 1 GiB, as iofd's loop caps every call of Send and
// Recv.
const maxOp = 1 << 30

func (c *Conn) start(recv bool, p []byte) *Op {
	op := &Op{c: c, recv: recv, k: opKernel{want: len(p)}}
	h := &c.fd.Write
	opName := "write"
	if recv {
		h, opName = &c.fd.Read, "read"
	}
	if err := c.fd.Incref(); err != nil {
		op.early = c.fd.OpError(opName, err)
		op.done = closedChan
		return op
	}
	defer c.fd.Decref()
	h.Count(1, 0, 0, 0)
	if len(p) == 0 {
		op.done = closedChan
		return op
	}
	if len(p) > maxOp {
		p = p[:maxOp]
	}
	q := &op.k.req
	switch {
	case recv && c.fd.Kind.IsSocket():
		q.PrepRecv(c.fd.Sysfd, p, 0)
	case recv:
		q.PrepRead(c.fd.Sysfd, p)
	case c.fd.Kind.IsSocket():
		q.PrepSend(c.fd.Sysfd, p, unix.MSG_NOSIGNAL) // see complete: no MSG_WAITALL
	default:
		q.PrepWrite(c.fd.Sysfd, p)
	}
	q.SetOneshot()
	q.SetTracker(&c.life.ops)
	if err := c.life.ring.Submit(q); err != nil {
		op.early = c.fd.OpError(opName, err)
		op.done = closedChan
		return op
	}
	h.Count(0, 1, 0, 0)
	op.done = q.Done()
	if c.fd.Closed() {
		// Close's cancel-by-fd may have run before this request reached the
		// ring: cancel it by itself.
		c.life.ring.Cancel(q)
	}
	return op
}

func (op *Op) cancel() { op.c.life.ring.Cancel(&op.k.req) }

func (op *Op) result() {
	if op.early != nil || op.done == closedChan {
		op.err = op.early
		return
	}
	fd := op.c.fd
	h, name, sys := &fd.Write, "write", "sendto"
	if op.recv {
		h, name, sys = &fd.Read, "read", "recvfrom"
	}
	if !fd.Kind.IsSocket() {
		sys = name // read(2), write(2)
	}
	res, _ := op.k.req.Result()
	switch {
	case res > 0:
		op.n = int(res)
		h.Count(0, 0, 0, uint64(res))
		if !op.recv && op.n < op.k.want && fd.Kind == iofd.Stream {
			op.err = fd.OpError(name, io.ErrShortWrite)
		}
	case res == 0 && op.recv && fd.Kind != iofd.Datagram:
		op.err = io.EOF
	case res == 0:
	case res == -int32(unix.ECANCELED) && fd.Closed():
		op.err = fd.OpError(name, net.ErrClosed)
	case res == -int32(unix.ECANCELED) || res == -int32(unix.EINTR):
		op.err = fd.OpError(name, ErrCanceled)
	default:
		op.err = fd.OpError(name, os.NewSyscallError(sys, syscall.Errno(-res)))
	}
}
