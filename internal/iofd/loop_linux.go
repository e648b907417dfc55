package iofd

import (
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// check is what the loop does before every attempt: a closed FD or a
// passed deadline ends the call, even when data is ready.
func (fd *FD) check(h *Half) error {
	if fd.refs.closed() {
		return net.ErrClosed
	}
	if h.Expired() {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// do is the one loop every operation goes through (Recv, Send, the
// message, vector and batch calls, Accept, connect, sendfile, splice and
// RawConn's waits), with h locked and c describing the operation: check
// closed and deadline before each attempt, the attempt (Driver.Try), and
// on EAGAIN the Driver's Wait, which waits for readiness or has the kernel
// perform the call; EINTR and ECANCELED (a signal, a moved deadline, a
// withdrawn request) go round again. With wait false an EAGAIN is the
// result (TryRecv, TrySend, a batch's own MSG_DONTWAIT). It returns the
// system call's result, or the bare error (an errno, net.ErrClosed,
// os.ErrDeadlineExceeded, a Driver's) for the caller to wrap.
func (fd *FD) do(h *Half, c *Call, wait bool) (int, error) {
	for c.Attempt = 0; ; c.Attempt++ {
		if err := fd.check(h); err != nil {
			return 0, err
		}
		if c.Kind.messages() {
			fd.ext.Load().msgs[h.dir].rearm(c)
		}
		c.skipped = false
		n, err := fd.driver.Try(fd, h, c)
		if err == unix.EAGAIN {
			if !c.skipped && c.Kind != OpConnect && c.Kind != OpPoll {
				h.wouldBlock.Add(1)
			}
			if !wait {
				return 0, err
			}
			n, err = fd.driver.Wait(fd, h, c)
		}
		if (err != nil || n == 0 && c.readsData(h)) && fd.refs.closed() {
			// Close woke this call (shutdown(2) in the blocking model,
			// a cancel on the ring): what it saw is the closing.
			return 0, net.ErrClosed
		}
		switch err {
		case nil:
			return n, nil
		case unix.EINTR, unix.ECANCELED:
			// A signal (the deadline moved), a wake-up, or a request
			// withdrawn: check decides.
			continue
		case unix.ECONNABORTED:
			if c.Kind == OpAccept {
				continue // accept(2): a connection reset before it was taken; take the next one
			}
		case unix.EALREADY:
			if c.Kind == OpConnect {
				continue // an interrupted connect(2) goes on; asking again reports its end
			}
		}
		return n, err
	}
}

// messages reports whether k is one of the message, vector and batch
// calls, whose headers (the Half's msgState) are rearmed before each
// attempt.
func (k OpKind) messages() bool {
	switch k {
	case OpRecvMsg, OpSendMsg, OpWritev, OpRecvMmsg, OpSendMmsg:
		return true
	}
	return false
}

// readsData reports whether c moves data in from the descriptor, where 0
// bytes is the end of the stream (or an empty datagram).
func (c *Call) readsData(h *Half) bool {
	switch c.Kind {
	case OpRecv, OpRead, OpRecvMsg, OpRecvMmsg:
		return true
	case OpSplice:
		return h.dir == Read
	}
	return false
}

// recv is Recv: at least one byte, io.EOF at the end of a stream (0 bytes
// and an empty datagram are 0, nil), or an error from OpError. With wait
// false an EAGAIN is returned (the non-blocking model's TryRecv).
func (fd *FD) recv(p []byte, wait bool) (int, error) {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("read", err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	c := h.call()
	c.Kind, c.Buf = OpRead, p
	if fd.Kind.IsSocket() {
		c.Kind = OpRecv
	}
	n, err := fd.do(h, c, wait)
	c.reset() // let go of the caller's buffer
	switch {
	case err == nil && n == 0 && fd.Kind != Datagram:
		return 0, io.EOF
	case err == nil:
		h.bytes.Add(uint64(n))
		return n, nil
	}
	return 0, fd.OpError("read", wrapName(fd.recvName(), err))
}

// send is Send: all of p on a stream (looping over short writes), one
// message on a datagram or seqpacket socket. An empty p is an empty
// datagram on a datagram socket, as package net sends; on a stream or
// seqpacket socket it sends nothing (net would send an empty seqpacket
// record, which the peer cannot tell from the end of the connection).
// With wait false it returns what was written and the EAGAIN (the
// non-blocking model's TrySend).
func (fd *FD) send(p []byte, wait bool) (int, error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("write", err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if len(p) == 0 && fd.Kind != Datagram {
		return 0, nil
	}
	c := h.call()
	c.Kind, c.Flags = OpWrite, unix.MSG_NOSIGNAL
	if fd.Kind.IsSocket() {
		c.Kind = OpSend
	}
	defer c.reset()
	nn := 0
	for {
		c.Buf = p[nn:]
		if len(c.Buf) > maxIO && !fd.Kind.Messages() {
			c.Buf = c.Buf[:maxIO]
		}
		n, err := fd.do(h, c, wait)
		if n > 0 {
			nn += n
			h.bytes.Add(uint64(n))
		}
		switch {
		case err != nil:
			return nn, fd.OpError("write", wrapName(fd.sendName(), err))
		case nn == len(p) || fd.Kind.Messages():
			return nn, nil
		}
		// A short write: the rest goes at once.
	}
}

// reset lets go of what c points at (the caller's buffers) once its call
// is done.
func (c *Call) reset() { *c = Call{} }

func isErrno(err error) bool {
	_, ok := err.(unix.Errno)
	return ok
}

func (fd *FD) recvName() string {
	if fd.Kind.IsSocket() {
		return "recvfrom"
	}
	return "read"
}

func (fd *FD) sendName() string {
	if fd.Kind.IsSocket() {
		return "sendto"
	}
	return "write"
}
