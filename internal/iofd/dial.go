package iofd

import (
	"net"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// Opener turns a fresh socket into a model's connection or listener: it is
// the model's New. On error the socket is still the caller's.
type Opener[T any] func(sysfd int) (T, *FD, Waiter, error)

// Dial is every model's Dial: resolve, socket(2) (non-blocking when
// nonblock is true, for the models that wait for writability), the model's
// New, and connect(2) waiting the model's way. Errors are *net.OpError with
// Op "dial", as package net returns.
func Dial[T any](network, address string, nonblock bool, open Opener[T]) (T, error) {
	var zero T
	t, err := sock.Resolve(network, address, false)
	if err != nil {
		return zero, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	raddr := sock.Addr(t.Type, t.Addr)
	s, err := sock.Socket(t, nonblock)
	if err != nil {
		return zero, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	c, fd, w, err := open(s)
	if err != nil {
		unix.Close(s)
		return zero, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	if err := fd.Connect(t.Addr, w); err != nil {
		fd.Close()
		return zero, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	fd.addrMu.Lock()
	fd.raddr = raddr
	fd.addrMu.Unlock()
	return c, nil
}

// Listen is every model's Listen: resolve, socket(2), bind(2), listen(2)
// and the model's New. Only the stream networks accept connections: tcp,
// tcp4, tcp6, unix and unixpacket. A Unix socket's file is removed when the
// listener is closed, as package net does.
func Listen[T any](network, address string, nonblock bool, open Opener[T]) (T, error) {
	var zero T
	switch network {
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket":
	default:
		return zero, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	t, err := sock.Resolve(network, address, true)
	if err != nil {
		return zero, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	laddr := sock.Addr(t.Type, t.Addr)
	s, err := sock.Listen(t, nonblock)
	if err != nil {
		return zero, &net.OpError{Op: "listen", Net: network, Source: laddr, Err: err}
	}
	l, fd, _, err := open(s)
	if err != nil {
		unix.Close(s)
		return zero, &net.OpError{Op: "listen", Net: network, Source: laddr, Err: err}
	}
	if u, ok := t.Addr.(*unix.SockaddrUnix); ok && !strings.HasPrefix(u.Name, "@") {
		fd.UnlinkOnClose(u.Name)
	}
	return l, nil
}

// Accept is every model's Accept: take a connection from the listening l
// (waiting with w), make it the model's with open, and record the peer's
// address. Errors are *net.OpError with Op "accept".
func Accept[T any](l *FD, w Waiter, flags int, open Opener[T]) (T, error) {
	var zero T
	nfd, raddr, err := l.Accept(w, flags)
	if err != nil {
		return zero, err
	}
	c, fd, _, err := open(nfd)
	if err != nil {
		unix.Close(nfd)
		return zero, l.OpError("accept", err)
	}
	fd.SetAddrs(nil, raddr)
	return c, nil
}
