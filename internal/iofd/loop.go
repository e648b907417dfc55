package iofd

import (
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// Waiter is how a model waits when a system call said EAGAIN. Wait is
// called with h's lock held; attempt counts the EAGAINs of this call so far
// (0 for the first), for back-off policies. Wait returns when the call
// should try again: on readiness, on a spurious wake-up, or because the FD
// was closed or the deadline passed (the loop checks both before its next
// system call). An error from Wait ends the call with that error.
type Waiter interface {
	Wait(fd *FD, h *Half, attempt int) error
}

// Preparer runs at the start of each Send and Recv, under the direction's
// lock, before the first system call.
type Preparer interface {
	Prepare(fd *FD, h *Half) error
}

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

// Recv reads into p: at least one byte, io.EOF at the end of a stream, or an
// error from OpError. On EAGAIN it waits with w; with w nil it returns the
// EAGAIN instead (the non-blocking model's TryRecv).
func (fd *FD) Recv(p []byte, w Waiter) (int, error) {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("read", err)
	}
	n, err := fd.recv(h, p, w)
	fd.Unlock(h)
	return n, err
}

func (fd *FD) recv(h *Half, p []byte, w Waiter) (int, error) {
	h.calls.Add(1)
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	if fd.prep != nil {
		if err := fd.prep.Prepare(fd, h); err != nil {
			return 0, fd.OpError("read", err)
		}
	}
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return 0, fd.OpError("read", err)
		}
		var n int
		var err error
		if fd.Kind.IsSocket() {
			n, err = recvfrom(fd.Sysfd, p, fd.recvFlags)
		} else {
			n, err = read(fd.Sysfd, p)
		}
		h.syscalls.Add(1)
		if (n == 0 || err != nil) && fd.refs.closed() {
			// Close woke this call (shutdown(2) in the blocking model):
			// what it saw is the closing, not the peer.
			return 0, fd.OpError("read", net.ErrClosed)
		}
		switch {
		case err == nil && n == 0 && fd.Kind != Datagram:
			return 0, io.EOF
		case err == nil:
			h.bytes.Add(uint64(n))
			return n, nil
		case err == unix.EAGAIN && w != nil:
			h.wouldBlock.Add(1)
			if err := w.Wait(fd, h, attempt); err != nil {
				return 0, fd.OpError("read", err)
			}
		default:
			if err == unix.EAGAIN {
				h.wouldBlock.Add(1)
			}
			return 0, fd.OpError("read", os.NewSyscallError(fd.recvName(), err))
		}
	}
}

// Send writes p: all of it on a stream (looping over short writes), one
// message on a datagram or seqpacket socket. On EAGAIN it waits with w; with
// w nil it returns what was written and the EAGAIN (the non-blocking model's
// TrySend).
func (fd *FD) Send(p []byte, w Waiter) (int, error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("write", err)
	}
	n, err := fd.send(h, p, w)
	fd.Unlock(h)
	return n, err
}

func (fd *FD) send(h *Half, p []byte, w Waiter) (int, error) {
	h.calls.Add(1)
	if len(p) == 0 {
		return 0, nil
	}
	if fd.prep != nil {
		if err := fd.prep.Prepare(fd, h); err != nil {
			return 0, fd.OpError("write", err)
		}
	}
	nn := 0
	for attempt := 0; ; {
		if err := fd.check(h); err != nil {
			return nn, fd.OpError("write", err)
		}
		chunk := p[nn:]
		if len(chunk) > maxIO && !fd.Kind.Messages() {
			chunk = chunk[:maxIO]
		}
		var n int
		var err error
		if fd.Kind.IsSocket() {
			n, err = sendto(fd.Sysfd, chunk, fd.sendFlags)
		} else {
			n, err = write(fd.Sysfd, chunk)
		}
		h.syscalls.Add(1)
		if err != nil && err != unix.EAGAIN && fd.refs.closed() {
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
			attempt = 0 // a short write: the rest goes at once
		case err == unix.EAGAIN && w != nil:
			h.wouldBlock.Add(1)
			if err := w.Wait(fd, h, attempt); err != nil {
				return nn, fd.OpError("write", err)
			}
			attempt++
		default:
			if err == unix.EAGAIN {
				h.wouldBlock.Add(1)
			}
			return nn, fd.OpError("write", os.NewSyscallError(fd.sendName(), err))
		}
	}
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

// Accept takes one connection from a listening socket, waiting with w on
// EAGAIN. The new descriptor is close-on-exec, plus flags (SOCK_NONBLOCK for
// the models that want it). The caller owns it.
func (fd *FD) Accept(w Waiter, flags int) (int, net.Addr, error) {
	nfd, sa, err := fd.accept(w, flags)
	if err != nil {
		return -1, nil, err
	}
	return nfd, sock.Addr(fd.sotype(), sa), nil
}

func (fd *FD) accept(w Waiter, flags int) (int, unix.Sockaddr, error) {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return -1, nil, fd.OpError("accept", err)
	}
	defer fd.Unlock(h)
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return -1, nil, fd.OpError("accept", err)
		}
		nfd, sa, err := unix.Accept4(fd.Sysfd, flags|unix.SOCK_CLOEXEC)
		h.syscalls.Add(1)
		switch err {
		case nil:
			h.calls.Add(1)
			return nfd, sa, nil
		case unix.EINTR, unix.ECONNABORTED:
			// accept(2): a connection reset before it was taken is
			// not the listener's failure; take the next one.
		case unix.EAGAIN:
			h.wouldBlock.Add(1)
			if w == nil {
				return -1, nil, fd.OpError("accept", os.NewSyscallError("accept4", err))
			}
			if err := w.Wait(fd, h, attempt); err != nil {
				return -1, nil, fd.OpError("accept", err)
			}
		default:
			if fd.refs.closed() {
				return -1, nil, fd.OpError("accept", net.ErrClosed)
			}
			return -1, nil, fd.OpError("accept", os.NewSyscallError("accept4", err))
		}
	}
}

// Connect connects the socket to sa. On a non-blocking socket it waits with
// w for writability and reads the result with SO_ERROR, the way connect(2)
// describes for EINPROGRESS; on a blocking socket connect(2) itself sleeps.
// The error is the bare cause (an *os.SyscallError, net.ErrClosed,
// os.ErrDeadlineExceeded): the caller wraps it as its "dial" error.
func (fd *FD) Connect(sa unix.Sockaddr, w Waiter) error {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return err
	}
	defer fd.Unlock(h)
	for {
		err := unix.Connect(fd.Sysfd, sa)
		if err == nil || err == unix.EISCONN {
			return nil
		}
		if err != unix.EINPROGRESS && err != unix.EALREADY && err != unix.EINTR {
			return os.NewSyscallError("connect", err)
		}
		if w != nil {
			break
		}
		// A blocking connect(2) interrupted by a signal goes on in the
		// background: ask again (EALREADY until done, then EISCONN).
	}
	for attempt := 0; ; attempt++ {
		if err := fd.check(h); err != nil {
			return err
		}
		if err := w.Wait(fd, h, attempt); err != nil {
			return err
		}
		if err := fd.check(h); err != nil {
			return err
		}
		soerr, err := unix.GetsockoptInt(fd.Sysfd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		switch e := unix.Errno(soerr); e {
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			continue
		case 0, unix.EISCONN:
			// SO_ERROR is 0 both while connecting and once connected:
			// only getpeername(2) tells them apart.
			if _, err := unix.Getpeername(fd.Sysfd); err == nil {
				return nil
			}
		default:
			return os.NewSyscallError("connect", e)
		}
	}
}

// YieldSpins is how many times a readiness model retries a call that would
// block, each after YieldThread, before it parks the goroutine to wait for
// its poller, dispatcher or ring. ShouldYield says when to.
//
// Why: a send(2) to a peer thread that sleeps in recv(2) wakes that thread,
// and the kernel likes to put it on the sender's CPU (sched(7), wake
// affinity). If the sender then parks, the answer has to travel back
// through another thread (the poller's) and a goroutine hand-off; if it
// gives up its CPU for a moment instead, the peer runs there at once, and
// the retry finds the answer. Measured with BenchmarkRoundTrip64 on 2
// cores: the multiplex round trip went from about 2× net.Conn's to par, and
// the nonblock one from 4× to par.
const YieldSpins = 2

// parked counts the calls parked in Wait, process-wide.
var parked atomic.Int64

// ShouldYield reports whether a call that has seen attempt EAGAINs should
// retry after YieldThread rather than park. It does so only while few calls
// are parked (no more than GOMAXPROCS): with many connections waiting, the
// process has other work for its CPUs, answers come through the poller in
// batches, and the extra system calls only cost (measured: 20% fewer echo
// messages per second over 100 connections with the spin than without).
func ShouldYield(attempt int) bool {
	return attempt < YieldSpins && !Crowded()
}

// Crowded reports whether more calls are parked, across every model, than
// there are Ps (GOMAXPROCS): the process has many connections waiting, and
// a call that must wait had better hand over its wait at once than try
// again first.
func Crowded() bool {
	return parked.Load() > yieldLimit
}

// yieldLimit is GOMAXPROCS read once: runtime.GOMAXPROCS(0) takes the
// scheduler's global lock, too dear for every wait, and the threshold is a
// hint that need not follow later changes.
var yieldLimit = int64(runtime.GOMAXPROCS(0))

// YieldThread gives this OS thread's CPU to any other runnable thread
// (sched_yield(2)) and returns. The goroutine keeps its place: it is a
// pause, not a park. It is a raw system call on purpose: sched_yield never
// blocks, and telling the runtime about it would let sysmon hand the
// processor to a new thread meanwhile; with thousands of waiting Conns
// that grew the process by a thread for each few yields.
func YieldThread() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// RecvNow is one recvfrom(2) on a socket with MSG_DONTWAIT, whatever the
// descriptor's mode: what is there now, or the bare EAGAIN. It counts one
// system call in the read half (the caller counts bytes and would-blocks)
// and is for a model that tries the copy before it hands the call to
// something that waits (the async model's speculative attempt).
func (fd *FD) RecvNow(p []byte) (int, error) {
	n, err := recvfrom(fd.Sysfd, p, fd.recvFlags|unix.MSG_DONTWAIT)
	fd.Read.syscalls.Add(1)
	return n, err
}

// SendNow is one sendto(2) on a socket with MSG_DONTWAIT|MSG_NOSIGNAL: what
// fits now (perhaps part of p on a stream), or the bare EAGAIN. It counts one
// system call in the write half, as RecvNow does.
func (fd *FD) SendNow(p []byte) (int, error) {
	n, err := sendto(fd.Sysfd, p, fd.sendFlags|unix.MSG_DONTWAIT)
	fd.Write.syscalls.Add(1)
	return n, err
}
