package iofd

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iomodel/iomodel"
)

// Mode is how the FD's system calls behave when no data is ready.
type Mode uint8

const (
	// Blocking calls sleep in the kernel: the fd is put in blocking mode,
	// and each socket call is armed with a socket timeout (SO_RCVTIMEO,
	// SO_SNDTIMEO) from its deadline, so that a signal interrupts it
	// (signal(7)) and a moved deadline reaches it (see Half.SetDeadline).
	Blocking Mode = iota
	// Nonblocking calls return EAGAIN: sockets get MSG_DONTWAIT on each
	// call, so the open file description (shared with anyone else holding
	// it) keeps its flags; pipes, FIFOs and ttys get O_NONBLOCK, since
	// read(2) and write(2) have no per-call flag.
	Nonblocking
	// Completion is the mode of a model whose kernel performs the calls
	// (io_uring): the fd is put in blocking mode, which io_uring wants, and
	// the loop's own attempts on a socket use MSG_DONTWAIT.
	Completion
)

// Config is what a model tells New.
type Config struct {
	Model string // "blocking", "nonblock", ...: named in New's errors
	Mode  Mode
	// Driver is how the calls are made and wait. nil: each call is one
	// system call, which never waits (it returns the EAGAIN).
	Driver Driver
	// Remote, if not nil, is the peer's address, already known (from
	// accept(2)): New does not ask getpeername(2) for it.
	Remote net.Addr
}

// FD is a descriptor driven by one model: its lifecycle, its two Halves and
// what New learned about it. All methods are safe for concurrent use.
type FD struct {
	Sysfd  int
	Family int // AF_INET, AF_INET6, AF_UNIX for sockets, 0 otherwise
	Model  string
	Kind   Kind
	Mode   Mode

	Read, Write Half

	refs      refs
	driver    Driver
	network   string
	recvFlags int32
	sendFlags int32
	// acceptFlags are accept4(2)'s flags beside SOCK_CLOEXEC:
	// SOCK_NONBLOCK unless calls sleep in the kernel.
	acceptFlags int32

	addrMu       sync.Mutex
	laddr, raddr net.Addr

	// What only some descriptors use lives beside the FD, made on first
	// use (extra), so that a stream connection, the common case, carries
	// none of it.
	ext atomic.Pointer[extras]
}

// extras is what only some FDs use: a listener's settings (listen.go),
// the zero-copy calls' counters (zerocopy.go), and the kernel structures
// of the message, vector and batch calls, one set per direction, reused
// under that Half's lock (msg_linux.go).
type extras struct {
	listener *listenState // under the FD's addrMu
	zc       zcState
	msgs     [2]*msgState
}

// extra is fd's extras, made on first use.
func (fd *FD) extra() *extras {
	if x := fd.ext.Load(); x != nil {
		return x
	}
	fd.ext.CompareAndSwap(nil, new(extras))
	return fd.ext.Load()
}

// New takes sysfd for a model. It checks that the descriptor is open, finds
// its kind, sets it up for cfg.Mode and, on a socket, records its addresses
// (so LocalAddr and RemoteAddr answer even after Close, as net's do). On
// error the caller still owns sysfd; the error names the model, the
// descriptor and what was wrong. Off Linux it fails with platform's
// Unsupported error.
func New(sysfd int, cfg Config) (*FD, error) {
	fd := &FD{
		Sysfd:  sysfd,
		Model:  cfg.Model,
		Mode:   cfg.Mode,
		driver: cfg.Driver,
	}
	if fd.driver == nil {
		fd.driver = noWait{}
	}
	fd.refs.init()
	fd.Read.init(Read)
	fd.Write.init(Write)
	if err := fd.setup(cfg.Remote); err != nil {
		return nil, err
	}
	return fd, nil
}

// NewError is the error of a model's New: it names the model, the
// descriptor and the cause, and wraps the cause.
func NewError(model string, sysfd int, err error) error {
	return fmt.Errorf("%s.New: fd %d: %w", model, sysfd, err)
}

// Network is the net package's name for the descriptor's network ("tcp",
// "unix", ...), or "pipe", "char", "file" for what is not a socket.
func (fd *FD) Network() string { return fd.network }

// Closed reports whether Close has been called.
func (fd *FD) Closed() bool { return fd.refs.closed() }

// Incref takes a reference for a call that does not go through Lock (a
// model's own API); it fails with net.ErrClosed after Close. Pair it with
// Decref.
func (fd *FD) Incref() error {
	if !fd.refs.incref() {
		return net.ErrClosed
	}
	return nil
}

// Decref drops a reference taken by Incref; the last one after Close
// destroys the descriptor.
func (fd *FD) Decref() {
	if fd.refs.decref() {
		fd.destroy()
	}
}

// Lock takes a reference and h's lock, for one call in h's direction. It
// fails with net.ErrClosed once the FD is closed (also when Close happened
// while it waited for the lock). Pair it with Unlock.
func (fd *FD) Lock(h *Half) error {
	if !fd.refs.incref() {
		return net.ErrClosed
	}
	h.mu.Lock()
	if fd.refs.closed() {
		h.mu.Unlock()
		fd.Decref()
		return net.ErrClosed
	}
	return nil
}

// Unlock releases h's lock and the call's reference.
func (fd *FD) Unlock(h *Half) {
	h.mu.Unlock()
	fd.Decref()
}

// Close marks the FD closed, wakes every waiter, lets the model unblock
// calls sleeping elsewhere (Driver.Evict) and drops the reference "open"
// held; close(2) runs when the last call has returned. A second Close
// returns an error wrapping net.ErrClosed.
func (fd *FD) Close() error {
	if !fd.refs.markClosed() {
		return fd.OpError("close", net.ErrClosed)
	}
	// A token in each Half: a call parked in Wait sleeps on its token
	// alone, and must wake to see the FD closed.
	fd.Read.Ready()
	fd.Write.Ready()
	fd.driver.Evict(fd, nil)
	fd.Decref()
	return nil
}

func (fd *FD) destroy() {
	fd.driver.Destroy(fd)
	fd.release()
}

// SetDeadline sets both directions' deadlines (net.Conn's SetDeadline). A
// call pending in either direction applies the new deadline at once. It
// fails with an error wrapping net.ErrClosed after Close, and on a
// descriptor whose calls cannot be given a deadline (a pipe or file in the
// blocking model) with one wrapping os.ErrNoDeadline.
func (fd *FD) SetDeadline(t time.Time) error { return fd.setDeadline(t, true, true) }

// SetReadDeadline sets the deadline of Recv and Accept (see SetDeadline).
func (fd *FD) SetReadDeadline(t time.Time) error { return fd.setDeadline(t, true, false) }

// SetWriteDeadline sets the deadline of Send and Connect (see SetDeadline).
func (fd *FD) SetWriteDeadline(t time.Time) error { return fd.setDeadline(t, false, true) }

func (fd *FD) setDeadline(t time.Time, read, write bool) error {
	if err := fd.Incref(); err != nil {
		return fd.OpError("set", err)
	}
	defer fd.Decref()
	if err := fd.deadlineSupported(); err != nil {
		return fd.OpError("set", err)
	}
	if read {
		fd.setHalfDeadline(&fd.Read, t)
	}
	if write {
		fd.setHalfDeadline(&fd.Write, t)
	}
	return nil
}

// setHalfDeadline sets h's deadline and has the Driver evict a call that
// waits in h elsewhere than in Half.Wait, so that it applies the new
// deadline at once.
func (fd *FD) setHalfDeadline(h *Half, t time.Time) {
	h.setDeadline(t)
	fd.driver.Evict(fd, h)
}

// noWait is the Driver of an FD made without one: each attempt is the
// system call, which never waits, and an EAGAIN is the call's result.
type noWait struct{}

func (noWait) Try(fd *FD, h *Half, c *Call) (int, error) { return c.Sys(fd, h) }
func (noWait) Wait(*FD, *Half, *Call) (int, error)       { return 0, errAgain }
func (noWait) Evict(*FD, *Half)                          {}
func (noWait) Destroy(*FD)                               {}

// Stats reads the counters of both directions.
func (fd *FD) Stats() iomodel.Stats {
	return iomodel.Stats{Read: fd.Read.Stats(), Write: fd.Write.Stats()}
}

// SetAddrs records the addresses the model has learned (after connect(2)).
// nil leaves an address as it was.
func (fd *FD) SetAddrs(local, remote net.Addr) {
	fd.addrMu.Lock()
	if local != nil {
		fd.laddr = local
	}
	if remote != nil {
		fd.raddr = remote
	}
	fd.addrMu.Unlock()
}

// LocalAddr is the socket's address, recorded when it was made, listened,
// connected or accepted; nil for what is not a socket. It stays the same
// after Close, as package net's does.
func (fd *FD) LocalAddr() net.Addr {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	return fd.laddr
}

// RemoteAddr is the peer's address, recorded when the socket was connected
// or accepted; nil for what is not a connected socket.
func (fd *FD) RemoteAddr() net.Addr {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	return fd.raddr
}

// OpError wraps err the way package net does, so callers can use
// errors.Is and the net.Error interface: op is "read", "write", "accept",
// "dial", "close", "set". nil and io.EOF are returned as they are.
func (fd *FD) OpError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	fd.addrMu.Lock()
	src, dst := fd.laddr, fd.raddr
	fd.addrMu.Unlock()
	if op == "accept" || op == "set" {
		// As net: a listener's and a deadline's errors name the
		// socket's own address, and no source.
		src, dst = nil, src
	}
	return &net.OpError{Op: op, Net: fd.network, Source: src, Addr: dst, Err: err}
}
