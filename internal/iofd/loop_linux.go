package iofd

import (
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// check is what every loop does before every system call: a closed FD or a
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

// recv is the one read loop: check, attempt, and on EAGAIN wait with w (or
// hand the call to fd's Completer); with w nil the EAGAIN is returned (the
// non-blocking model's TryRecv). It returns at least one byte, io.EOF at the
// end of a stream (0 bytes and an empty datagram are 0, nil), or an error
// from OpError.
func (fd *FD) recv(p []byte, w Waiter) (int, error) {
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
	kind := OpRead
	if fd.Kind.IsSocket() {
		kind = OpRecv
	}
	c := fd.completerFor(w)
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return 0, fd.OpError("read", err)
		}
		n, err := 0, error(unix.EAGAIN)
		tried := c == nil || c.Direct(fd, h, kind, attempt)
		if tried {
			n, err = fd.sysRecv(h, p)
		}
		if err == unix.EAGAIN {
			h.setBufOp(kind, p, 0)
			if n, err = fd.await(h, w, c, attempt, tried); err == errAgain {
				continue
			}
		}
		if (n == 0 || err != nil) && fd.refs.closed() {
			// Close woke this call (shutdown(2) in the blocking model,
			// a cancel on the ring): what it saw is the closing.
			return 0, fd.OpError("read", net.ErrClosed)
		}
		switch {
		case err == nil && n == 0 && fd.Kind != Datagram:
			return 0, io.EOF
		case err == nil:
			h.bytes.Add(uint64(n))
			return n, nil
		case err == unix.EINTR || err == unix.ECANCELED:
			// A signal (the deadline moved), or the completer withdrew
			// the call: check decides.
		case isErrno(err):
			return 0, fd.OpError("read", os.NewSyscallError(fd.recvName(), err))
		default:
			return 0, fd.OpError("read", err)
		}
	}
}

// send is the one write loop: all of p on a stream (looping over short
// writes), one message on a datagram or seqpacket socket. An empty p is an
// empty datagram on a datagram socket, as package net sends; on a stream or
// seqpacket socket it sends nothing (net would send an empty seqpacket
// record, which the peer cannot tell from the end of the connection). On EAGAIN it waits with w; with w nil
// it returns what was written and the EAGAIN (the non-blocking model's
// TrySend).
func (fd *FD) send(p []byte, w Waiter) (int, error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("write", err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if len(p) == 0 && fd.Kind != Datagram {
		return 0, nil
	}
	kind := OpWrite
	if fd.Kind.IsSocket() {
		kind = OpSend
	}
	c := fd.completerFor(w)
	nn := 0
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return nn, fd.OpError("write", err)
		}
		chunk := p[nn:]
		if len(chunk) > maxIO && !fd.Kind.Messages() {
			chunk = chunk[:maxIO]
		}
		n, err := 0, error(unix.EAGAIN)
		tried := c == nil || c.Direct(fd, h, kind, attempt)
		if tried {
			n, err = fd.sysSend(h, chunk)
		}
		if err == unix.EAGAIN {
			h.setBufOp(kind, chunk, unix.MSG_NOSIGNAL)
			if n, err = fd.await(h, w, c, attempt, tried); err == errAgain {
				continue
			}
		}
		if err != nil && fd.refs.closed() {
			return nn, fd.OpError("write", net.ErrClosed)
		}
		if n > 0 {
			nn += n
			h.bytes.Add(uint64(n))
		}
		switch {
		case err == nil && (nn == len(p) || fd.Kind.Messages()):
			return nn, nil
		case err == nil:
			attempt = -1 // a short write: the rest goes at once
		case err == unix.EINTR || err == unix.ECANCELED:
		case isErrno(err):
			return nn, fd.OpError("write", os.NewSyscallError(fd.sendName(), err))
		default:
			return nn, fd.OpError("write", err)
		}
	}
}

// errAgain is await's "try the system call again": a type of its own, so
// that it never compares equal to ErrHandOver.
var errAgain error = tryAgain{}

type tryAgain struct{}

func (tryAgain) Error() string { return "iofd: try the system call again" }

// await is what a loop does after EAGAIN: return it (w nil), wait for
// readiness with w (errAgain: try again), or have the completer perform
// h.op, which the caller set (and await clears). tried says the EAGAIN
// came from a system call (not from a Completer's Direct declining the
// attempt): only then is it a would-block.
//
// The Op lives in the Half, not on the caller's frame: a pointer handed to
// an interface method escapes, and would cost an allocation per call, and
// an Op passed by value would cost every loop's frame its size, on the
// stack of every parked call.
func (fd *FD) await(h *Half, w Waiter, c Completer, attempt int, tried bool) (int, error) {
	defer h.clearOp()
	if tried {
		h.wouldBlock.Add(1)
	}
	if fd.Mode == Blocking {
		return 0, fd.timedOut(h)
	}
	if w == nil {
		return 0, unix.EAGAIN
	}
	switch err := w.Wait(fd, h, attempt); {
	case err == nil:
		return 0, errAgain
	case err != ErrHandOver || c == nil:
		return 0, err
	}
	return c.Complete(fd, h, h.op)
}

// setBufOp describes a plain read or write for await, on an FD with a
// Completer. It is a call of its own, not an Op literal in the loop, so
// that the loop's frame, which every parked call keeps on its stack, holds
// no Op.
//
//go:noinline
func (h *Half) setBufOp(kind OpKind, p []byte, flags int) {
	if h.op != nil {
		h.op.Kind, h.op.Buf, h.op.Flags = kind, p, flags
	}
}

// setOp describes the call for await, on an FD with a Completer.
func (h *Half) setOp(op Op) {
	if h.op != nil {
		*h.op = op
	}
}

// clearOp lets go of the caller's buffer once await is done with h.op.
func (h *Half) clearOp() {
	if h.op != nil {
		*h.op = Op{}
	}
}

// fallible is the Completer of a loop whose calls a Completer may not
// know (msgLoop, zcLoop, accept): once it answers ENOSYS for the call's
// kind, it is not asked again in that call; the loop makes the system call
// itself and waits for readiness between attempts (waitReady: OpPoll on a
// ring, or poll(2)).
type fallible struct {
	c        Completer
	fallback bool
}

// direct reports whether the loop makes this attempt's system call itself
// (Completer.Direct, or always without one or once fallen back).
func (f *fallible) direct(fd *FD, h *Half, kind OpKind, attempt int) bool {
	return f.c == nil || f.fallback || f.c.Direct(fd, h, kind, attempt)
}

// again is such a loop's step after EAGAIN: await (h.op, which the caller
// set) with w and f's Completer,
// or, fallen back, waitReady. retry says to go round the loop again; on
// ENOSYS it also sets attempt to -1, so that the next attempt is the
// loop's first of its own. Otherwise n and err are the call's result.
func (fd *FD) again(h *Half, w Waiter, f *fallible, attempt *int, tried bool) (n int, err error, retry bool) {
	if f.fallback {
		h.clearOp()
		h.wouldBlock.Add(1)
		if err := fd.waitReady(h, *attempt); err != nil {
			return 0, err, false
		}
		return 0, nil, true
	}
	n, err = fd.await(h, w, f.c, *attempt, tried)
	switch {
	case err == errAgain:
		return 0, nil, true
	case err == unix.ENOSYS && f.c != nil:
		f.fallback, *attempt = true, -1
		return 0, nil, true
	}
	return n, err, false
}

// completerFor is fd's Completer when w is its Waiter, nil otherwise.
func (fd *FD) completerFor(w Waiter) Completer {
	if w != nil && w == fd.waiter {
		return fd.completer
	}
	return nil
}

func isErrno(err error) bool {
	_, ok := err.(unix.Errno)
	return ok
}

// sysRecv and sysSend are one attempt's system call; in the blocking model
// it sleeps in the kernel, where a signal can reach it (kernelCall).
func (fd *FD) sysRecv(h *Half, p []byte) (n int, err error) {
	if fd.Mode == Blocking && fd.Kind.IsSocket() {
		return fd.kernelCall(h, OpRecv, p)
	}
	if fd.Kind.IsSocket() {
		n, err = recvfrom(fd.Sysfd, p, fd.recvFlags)
	} else {
		n, err = read(fd.Sysfd, p)
	}
	h.syscalls.Add(1)
	return n, err
}

func (fd *FD) sysSend(h *Half, p []byte) (n int, err error) {
	if fd.Mode == Blocking && fd.Kind.IsSocket() {
		return fd.kernelCall(h, OpSend, p)
	}
	if fd.Kind.IsSocket() {
		n, err = sendto(fd.Sysfd, p, fd.sendFlags)
	} else {
		n, err = write(fd.Sysfd, p)
	}
	h.syscalls.Add(1)
	return n, err
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
