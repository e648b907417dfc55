package iofd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/sock"
)

// Mode is how the FD's system calls behave when no data is ready.
type Mode uint8

const (
	// Blocking calls sleep in the kernel: the fd is put in blocking mode.
	Blocking Mode = iota
	// Nonblocking calls return EAGAIN: sockets get MSG_DONTWAIT on each
	// call, so the open file description (shared with anyone else holding
	// it) keeps its flags; pipes, FIFOs and ttys get O_NONBLOCK, since
	// read(2) and write(2) have no per-call flag.
	Nonblocking
)

// Hooks is what a model must do at the two moments of the end of an FD.
type Hooks interface {
	// Evict runs once, in Close, after the FD is marked closed and every
	// waiter has been woken: it unblocks calls that sleep in the kernel
	// rather than in Wait (shutdown(2) for the blocking model, a ring
	// cancel for the async one). It may be a no-op.
	Evict(fd *FD)
	// Destroy runs once, when the last reference is dropped after Close,
	// just before close(2): it deregisters the descriptor from whatever
	// watches it (epoll, the signal dispatcher, the ring).
	Destroy(fd *FD)
}

// Config is what a model tells New.
type Config struct {
	Model string // "blocking", "nonblock", ...: named in New's errors
	Mode  Mode
	Hooks Hooks // may be nil
	// Preparer, if not nil, runs once at the start of each Send and Recv,
	// under the direction's lock (the blocking model arms socket timeouts).
	Preparer Preparer
}

// FD is a descriptor driven by one model: its lifecycle, its two Halves and
// what New learned about it. All methods are safe for concurrent use.
type FD struct {
	Sysfd  int
	Kind   Kind
	Family int // AF_INET, AF_INET6, AF_UNIX for sockets, 0 otherwise
	Model  string

	Read, Write Half

	refs      refs
	closing   chan struct{}
	hooks     Hooks
	prep      Preparer
	network   string
	recvFlags int
	sendFlags int

	addrMu       sync.Mutex
	laddr, raddr net.Addr
	unlinkPath   string
}

// New takes sysfd for a model. It checks that the descriptor is open, finds
// its kind, and sets it up for cfg.Mode. On error the caller still owns
// sysfd; the error names the model, the descriptor and what was wrong.
func New(sysfd int, cfg Config) (*FD, error) {
	kind, family, network, err := probe(sysfd)
	if err != nil {
		return nil, NewError(cfg.Model, sysfd, err)
	}
	fd := &FD{
		Sysfd:   sysfd,
		Kind:    kind,
		Family:  family,
		Model:   cfg.Model,
		closing: make(chan struct{}),
		hooks:   cfg.Hooks,
		prep:    cfg.Preparer,
		network: network,
	}
	fd.refs.init()
	fd.Read.init(Read)
	fd.Write.init(Write)
	if kind.IsSocket() {
		fd.sendFlags = unix.MSG_NOSIGNAL
	}
	switch {
	case cfg.Mode == Nonblocking && kind.IsSocket():
		fd.recvFlags |= unix.MSG_DONTWAIT
		fd.sendFlags |= unix.MSG_DONTWAIT
	case cfg.Mode == Nonblocking:
		err = unix.SetNonblock(sysfd, true)
	default:
		err = unix.SetNonblock(sysfd, false)
	}
	if err != nil {
		return nil, NewError(cfg.Model, sysfd, os.NewSyscallError("fcntl", err))
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

// Closing is closed when Close is called; waiters select on it.
func (fd *FD) Closing() <-chan struct{} { return fd.closing }

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
// calls sleeping in the kernel (Hooks.Evict) and drops the reference "open"
// held; close(2) runs when the last call has returned. A second Close
// returns an error wrapping net.ErrClosed.
func (fd *FD) Close() error {
	if !fd.refs.markClosed() {
		return fd.OpError("close", net.ErrClosed)
	}
	close(fd.closing)
	// A token in each Half: a call parked in Wait sleeps on its token
	// alone, and must wake to see the FD closed.
	fd.Read.Ready()
	fd.Write.Ready()
	if fd.hooks != nil {
		fd.hooks.Evict(fd)
	}
	fd.Decref()
	return nil
}

func (fd *FD) destroy() {
	if fd.hooks != nil {
		fd.hooks.Destroy(fd)
	}
	// close(2) is not retried on EINTR: on Linux the descriptor is released
	// even then, and a retry could close a number someone else just got.
	unix.Close(fd.Sysfd)
	if fd.unlinkPath != "" {
		unix.Unlink(fd.unlinkPath)
	}
}

// UnlinkOnClose makes the final close also remove path: the file of a Unix
// socket this FD was bound to by Listen, as package net does.
func (fd *FD) UnlinkOnClose(path string) { fd.unlinkPath = path }

// SetDeadline sets both directions' deadlines (net.Conn's SetDeadline);
// it fails with net.ErrClosed after Close.
func (fd *FD) SetDeadline(t time.Time) error { return fd.setDeadline(t, true, true) }

// SetReadDeadline sets the deadline of Recv and Accept.
func (fd *FD) SetReadDeadline(t time.Time) error { return fd.setDeadline(t, true, false) }

// SetWriteDeadline sets the deadline of Send and Connect.
func (fd *FD) SetWriteDeadline(t time.Time) error { return fd.setDeadline(t, false, true) }

func (fd *FD) setDeadline(t time.Time, read, write bool) error {
	if err := fd.Incref(); err != nil {
		return fd.OpError("set", err)
	}
	defer fd.Decref()
	if read {
		fd.Read.SetDeadline(t)
	}
	if write {
		fd.Write.SetDeadline(t)
	}
	return nil
}

// Stats reads the counters of both directions.
func (fd *FD) Stats() iomodel.Stats {
	return iomodel.Stats{Read: fd.Read.Stats(), Write: fd.Write.Stats()}
}

// SetAddrs records the addresses the model already knows (from Dial or
// Accept), so LocalAddr and RemoteAddr need no system call. nil leaves an
// address to be asked for when needed.
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

// LocalAddr is the socket's address (getsockname(2)), nil for what is not a
// socket.
func (fd *FD) LocalAddr() net.Addr { return fd.addr(false) }

// RemoteAddr is the peer's address (getpeername(2)), nil for what is not a
// connected socket.
func (fd *FD) RemoteAddr() net.Addr { return fd.addr(true) }

func (fd *FD) addr(remote bool) net.Addr {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	p := &fd.laddr
	if remote {
		p = &fd.raddr
	}
	if *p != nil || !fd.Kind.IsSocket() || fd.Incref() != nil {
		return *p
	}
	defer fd.Decref()
	var sa unix.Sockaddr
	var err error
	if remote {
		sa, err = unix.Getpeername(fd.Sysfd)
	} else {
		sa, err = unix.Getsockname(fd.Sysfd)
	}
	if err == nil {
		*p = sock.Addr(fd.sotype(), sa)
	}
	return *p
}

func (fd *FD) sotype() int {
	switch fd.Kind {
	case Datagram:
		return unix.SOCK_DGRAM
	case SeqPacket:
		return unix.SOCK_SEQPACKET
	}
	return unix.SOCK_STREAM
}

// OpError wraps err the way package net does, so callers can use
// errors.Is and the net.Error interface: op is "read", "write", "accept",
// "dial", "close". nil and io.EOF are returned as they are.
func (fd *FD) OpError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	fd.addrMu.Lock()
	src, dst := fd.laddr, fd.raddr
	fd.addrMu.Unlock()
	if op == "accept" || op == "read" && fd.Kind == Datagram {
		src = nil
	}
	return &net.OpError{Op: op, Net: fd.network, Source: src, Addr: dst, Err: err}
}

// CloseWrite shuts down the sending side of a socket (shutdown(2)
// SHUT_WR): the peer reads io.EOF once it has read what was sent, and can
// still answer. It is net.TCPConn's and net.UnixConn's CloseWrite.
func (fd *FD) CloseWrite() error {
	if err := fd.Incref(); err != nil {
		return fd.OpError("close", err)
	}
	defer fd.Decref()
	if !fd.Kind.IsSocket() {
		return fd.OpError("close", fmt.Errorf("CloseWrite on a %s: %w", fd.Kind, errors.ErrUnsupported))
	}
	if err := unix.Shutdown(fd.Sysfd, unix.SHUT_WR); err != nil {
		return fd.OpError("close", os.NewSyscallError("shutdown", err))
	}
	return nil
}
