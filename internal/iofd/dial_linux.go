package iofd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// Opener turns a fresh socket into a model's connection or listener: it is
// the model's New, told the peer's address when it is already known (an
// accepted socket's). On error the socket is still the caller's.
type Opener[T any] func(sysfd int, remote net.Addr) (T, *FD, error)

// ListenContext is every model's ListenConfig.Listen: resolve, socket(2),
// lc.Control (before bind(2), as net calls it: where SO_REUSEPORT is set),
// bind(2), listen(2) and the model's New. Only the stream networks accept
// connections: tcp, tcp4, tcp6, unix and unixpacket. Accepted TCP
// connections get TCP_NODELAY and lc's keep-alive, as net's do. A Unix
// socket's file is removed when the listener is closed, as package net
// does (SetUnlinkOnClose changes that).
func ListenContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	// accept4(2) has no per-call MSG_DONTWAIT: the socket is made
	// non-blocking, and New clears that for the models that block.
	l, fd, path, err := listen(ctx, lc, network, address, true, open, "tcp", "tcp4", "tcp6", "unix", "unixpacket")
	if err != nil {
		return l, err
	}
	fd.addrMu.Lock()
	st := fd.listenLocked()
	st.acceptIdle, st.acceptKA = lc.KeepAlive, lc.KeepAliveConfig
	if path != "" {
		st.unixPath, st.unlink = path, true
	}
	fd.addrMu.Unlock()
	return l, nil
}

// listen is what ListenContext and ListenPacketContext share: check the
// network against networks, resolve address, make and bind the socket
// (listening, for a stream; non-blocking if nonblock) with lc's Control
// called before bind, and open it, its errors naming network as the
// caller gave it (FD.named). path is the socket file of a Unix
// socket bound to one ("" for the abstract namespace and IP). Errors are
// *net.OpError with Op "listen", as net's.
func listen[T any](ctx context.Context, lc *ListenConfig, network, address string, nonblock bool, open Opener[T], networks ...string) (l T, fd *FD, path string, err error) {
	if ctx == nil {
		panic("nil context")
	}
	if !slices.Contains(networks, network) {
		return l, nil, "", &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	t, err := sock.ResolveListen(network, address)
	if err != nil {
		return l, nil, "", &net.OpError{Op: "listen", Net: network, Err: err}
	}
	laddr := sock.Addr(t.Type, t.Addr)
	var control func(int) error
	if lc.Control != nil {
		control = func(s int) error {
			return lc.Control(network+familySuffix(t), laddr.String(), sysRawConn(s))
		}
	}
	s, err := sock.Listen(t, nonblock, control)
	if err != nil {
		return l, nil, "", &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: err}
	}
	l, fd, err = open(s, nil)
	if err != nil {
		unix.Close(s)
		return l, nil, "", &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: err}
	}
	fd.named(network)
	if u, ok := t.Addr.(*unix.SockaddrUnix); ok && u.Name != "" && u.Name[0] != '@' {
		path = u.Name
	}
	return l, fd, path, nil
}

// SetUnlinkOnClose sets whether closing a Unix listener removes its
// socket file, as net.UnixListener's: true by default for one that Listen
// made, false for one made from a descriptor.
func (fd *FD) SetUnlinkOnClose(unlink bool) {
	fd.addrMu.Lock()
	fd.listenLocked().unlink = unlink
	fd.addrMu.Unlock()
}

// sysRawConn is the syscall.RawConn a ListenConfig's Control gets: the
// socket before it is bound, which no call reads or writes yet.
type sysRawConn int

func (s sysRawConn) Control(f func(fd uintptr)) error { f(uintptr(s)); return nil }

func (s sysRawConn) Read(f func(fd uintptr) bool) error {
	if f(uintptr(s)) {
		return nil
	}
	return errors.New("raw-read on a socket that is not yet bound")
}

func (s sysRawConn) Write(f func(fd uintptr) bool) error {
	if f(uintptr(s)) {
		return nil
	}
	return errors.New("raw-write on a socket that is not yet bound")
}

// Accept is every model's Accept: take a connection from the listening l
// (waiting l's way), make it the model's with open, with the peer's address
// accept(2) returned. Errors are *net.OpError with Op "accept".
func Accept[T any](l *FD, open Opener[T]) (T, error) { return acceptWith(l, true, open) }

// TryAccept is one attempt at Accept that never waits: it fails with an
// error wrapping EAGAIN if no connection is waiting (the non-blocking
// model's TryAccept).
func TryAccept[T any](l *FD, open Opener[T]) (T, error) { return acceptWith(l, false, open) }

func acceptWith[T any](l *FD, wait bool, open Opener[T]) (T, error) {
	var zero T
	nfd, raddr, err := l.accept(wait)
	if err != nil {
		return zero, l.OpError("accept", err)
	}
	c, fd, err := open(nfd, raddr)
	if err != nil {
		unix.Close(nfd)
		return zero, l.OpError("accept", err)
	}
	fd.named(l.network) // as net's: an accepted conn is of its listener's network
	if err := fd.tcpDefaults(l.listenSettings()); err != nil {
		fd.Close()
		return zero, l.OpError("accept", err)
	}
	return c, nil
}

// accept is accept4(2) through the loop (close-on-exec; sockets are made
// in the mode of the listener's model by its New), and the peer's address
// it reported: nil when the Driver performed the accept itself and had
// none to report.
func (fd *FD) accept(wait bool) (int, net.Addr, error) {
	h := &fd.Read
	if err := fd.Lock(h); err != nil {
		return -1, nil, err
	}
	defer fd.Unlock(h)
	c := h.call()
	defer c.reset()
	c.Kind, c.Flags = OpAccept, unix.SOCK_CLOEXEC
	nfd, err := fd.do(h, c, wait)
	if err != nil {
		return -1, nil, wrapName("accept4", err)
	}
	h.calls.Add(1)
	return nfd, c.peer, nil
}

// connect connects the socket to sa through the loop (OpConnect): the
// socket was made non-blocking, so connect(2) answers EINPROGRESS at once;
// the call then waits for writability the model's way (the blocking model
// in poll(2), where a signal reaches it as it reaches its other calls) and
// reads the result with SO_ERROR, as connect(2) describes, unless the
// Driver performs the connect itself. The error is the bare cause (an
// *os.SyscallError, net.ErrClosed, os.ErrDeadlineExceeded): the caller
// wraps it as its "dial" error.
func (fd *FD) connect(sa unix.Sockaddr) error {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return err
	}
	defer fd.Unlock(h)
	raw, err := sock.Raw(sa)
	if err != nil {
		return os.NewSyscallError("connect", err)
	}
	c := h.call()
	defer c.reset()
	c.Kind, c.Buf = OpConnect, raw
	if _, err := fd.do(h, c, true); err != nil && err != unix.EISCONN {
		return wrapName("connect", err)
	}
	return nil
}

// CloseWrite shuts down the sending side of a socket (shutdown(2)
// SHUT_WR): the peer reads io.EOF once it has read what was sent, and can
// still answer. It is net.TCPConn's and net.UnixConn's CloseWrite.
func (fd *FD) CloseWrite() error { return fd.shutdown(unix.SHUT_WR) }

// CloseRead shuts down the receiving side of a socket (shutdown(2)
// SHUT_RD): a Recv then reads io.EOF. It is net.TCPConn's CloseRead.
func (fd *FD) CloseRead() error { return fd.shutdown(unix.SHUT_RD) }

func (fd *FD) shutdown(how int) error {
	if err := fd.Incref(); err != nil {
		return fd.OpError("close", err)
	}
	defer fd.Decref()
	if !fd.Kind.IsSocket() {
		return fd.OpError("close", fmt.Errorf("shutdown on a %s: %w", fd.Kind, errors.ErrUnsupported))
	}
	if err := unix.Shutdown(fd.Sysfd, how); err != nil {
		return fd.OpError("close", os.NewSyscallError("shutdown", err))
	}
	return nil
}

// ShutdownBusy is the blocking model's Evict on Close: it wakes the calls
// sleeping on a socket by shutting down the directions that have one
// (shutdown(2)): a blocked recv returns 0, a blocked send EPIPE, a blocked
// accept EINVAL, and the loops then see the FD is closed.
//
// An idle direction is left alone: shutting it down would change what the
// peer sees. close(2) of a TCP socket with unread data sends a reset
// (tcp(7)), but shutdown first sends an orderly FIN, and the peer would read
// io.EOF instead of ECONNRESET.
func (fd *FD) ShutdownBusy() {
	if !fd.Kind.IsSocket() {
		return
	}
	how := -1
	switch r, w := fd.Read.Busy(), fd.Write.Busy(); {
	case r && w:
		how = unix.SHUT_RDWR
	case r:
		how = unix.SHUT_RD
	case w:
		how = unix.SHUT_WR
	}
	if how >= 0 {
		unix.Shutdown(fd.Sysfd, how)
	}
}
