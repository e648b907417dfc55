package async

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// Op is one operation in flight, from SendAsync or RecvAsync: the
// completion-based shape of the async model, where one goroutine can keep
// many operations in flight and collect them as they complete.
//
// The buffer handed to SendAsync or RecvAsync belongs to the kernel until the
// Op is done: the caller must not read, write or reuse it before Done is
// closed or Wait has returned. An Op is not reusable; Wait may be called any
// number of times and returns the same result.
type Op struct {
	c     *Conn
	recv  bool
	want  int
	req   uring.Req
	done  <-chan struct{}
	once  sync.Once
	n     int
	err   error
	early error // set when the Op never reached the ring
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// RecvAsync starts one IORING_OP_RECV (IORING_OP_READ on what is not a
// socket) into p and returns at once. Several may be in flight on one Conn;
// on a stream their share of the bytes follows the order the kernel serves
// them, so keep one in flight per stream when order matters. RecvAsync
// ignores the read deadline: use Cancel.
func (c *Conn) RecvAsync(p []byte) *Op { return c.start(true, p) }

// SendAsync starts one IORING_OP_SEND (IORING_OP_WRITE on what is not a
// socket) of p and returns at once. Like one send(2), on a stream it may
// send less than all of p when the socket buffer fills: Wait then reports
// the count with io.ErrShortWrite, and the rest is the caller's to send. It
// ignores the write deadline: use Cancel.
func (c *Conn) SendAsync(p []byte) *Op { return c.start(false, p) }

func (c *Conn) start(recv bool, p []byte) *Op {
	op := &Op{c: c, recv: recv, want: len(p)}
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
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	q := &op.req
	switch {
	case recv && c.fd.Kind.IsSocket():
		q.PrepRecv(c.fd.Sysfd, p, 0)
	case recv:
		q.PrepRead(c.fd.Sysfd, p)
	case c.fd.Kind.IsSocket():
		q.PrepSend(c.fd.Sysfd, p, c.sendFlags())
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

// Done is closed when the operation has completed and the kernel is done with
// its buffer.
func (op *Op) Done() <-chan struct{} { return op.done }

// Cancel asks the kernel to stop the operation (IORING_OP_ASYNC_CANCEL). It
// does not wait: the Op still completes, with ErrCanceled or, if it finished
// first, with its result. Cancelling a done Op does nothing.
func (op *Op) Cancel() {
	if op.early != nil || op.done == closedChan {
		return
	}
	op.c.life.ring.Cancel(&op.req)
}

// Wait blocks until the operation is done and returns what it moved: for a
// receive, at least one byte or io.EOF at the end of a stream; errors are
// *net.OpError values as for Send and Recv, wrapping ErrCanceled after
// Cancel and net.ErrClosed after Close.
func (op *Op) Wait() (int, error) {
	<-op.done
	op.once.Do(op.result)
	return op.n, op.err
}

func (op *Op) result() {
	if op.early != nil || op.done == closedChan {
		op.err = op.early
		return
	}
	fd := op.c.fd
	h, name, sys := &fd.Write, "write", op.c.sendName()
	if op.recv {
		h, name, sys = &fd.Read, "read", op.c.recvName()
	}
	res, _ := op.req.Result()
	switch {
	case res > 0:
		op.n = int(res)
		h.Count(0, 0, 0, uint64(res))
		if !op.recv && op.n < op.want && fd.Kind == iofd.Stream {
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
