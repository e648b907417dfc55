package async

import "sync"

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
	k     opKernel // the request, where there is a kernel to take it
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
	op.cancel()
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
