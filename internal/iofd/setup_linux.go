package iofd

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// setup finds what the descriptor is, puts it in the FD's mode and, on a
// socket, records its addresses.
func (fd *FD) setup(remote net.Addr) error {
	kind, family, network, err := probe(fd.Sysfd)
	if err != nil {
		return NewError(fd.Model, fd.Sysfd, err)
	}
	fd.Kind, fd.Family, fd.network = kind, family, network
	if kind.IsSocket() {
		fd.sendFlags = unix.MSG_NOSIGNAL
	}
	if fd.Mode != Blocking {
		fd.acceptFlags = unix.SOCK_NONBLOCK
	}
	switch {
	case fd.Mode != Blocking && kind.IsSocket():
		// Completion: the kernel's operations block (io_uring wants
		// that), the loop's own attempts do not.
		fd.recvFlags |= unix.MSG_DONTWAIT
		fd.sendFlags |= unix.MSG_DONTWAIT
		if fd.Mode == Completion {
			err = unix.SetNonblock(fd.Sysfd, false)
		}
	case fd.Mode == Nonblocking:
		err = unix.SetNonblock(fd.Sysfd, true)
	default:
		err = unix.SetNonblock(fd.Sysfd, false)
	}
	if err != nil {
		return NewError(fd.Model, fd.Sysfd, os.NewSyscallError("fcntl", err))
	}
	if !kind.IsSocket() {
		return nil
	}
	fd.laddr = fd.sockname()
	fd.raddr = remote
	if remote == nil {
		fd.raddr = fd.peername()
	}
	return nil
}

// named records the network as the caller named it to Listen,
// ListenPacket or Dial ("udp4", "tcp6"), which package net keeps in its
// errors (OpError.Net); setup knows only the family's name ("udp"). Call
// it before the FD is handed to anyone.
func (fd *FD) named(network string) { fd.network = network }

// sockname and peername ask the kernel for the socket's addresses; nil if
// it has none (an unconnected socket has no peer).
func (fd *FD) sockname() net.Addr {
	sa, err := unix.Getsockname(fd.Sysfd)
	if err != nil {
		return nil
	}
	return sock.Addr(fd.sotype(), sa)
}

func (fd *FD) peername() net.Addr {
	sa, err := unix.Getpeername(fd.Sysfd)
	if err != nil {
		return nil
	}
	return sock.Addr(fd.sotype(), sa)
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

// release closes the descriptor, once, after the last reference.
func (fd *FD) release() {
	// close(2) is not retried on EINTR: on Linux the descriptor is released
	// even then, and a retry could close a number someone else just got.
	unix.Close(fd.Sysfd)
	fd.addrMu.Lock()
	l := fd.listenerLocked()
	fd.addrMu.Unlock()
	if l != nil && l.unlink && l.unixPath != "" {
		unix.Unlink(l.unixPath)
	}
}

// deadlineSupported fails for a descriptor whose calls cannot be given a
// deadline: in the blocking model, only sockets have timeouts (SO_RCVTIMEO,
// SO_SNDTIMEO); a read(2) on a pipe or file sleeps until it is done.
func (fd *FD) deadlineSupported() error {
	if fd.Mode == Blocking && !fd.Kind.IsSocket() {
		return fmt.Errorf("%s: a blocking %s has no timeout (use the nonblock or multiplex model): %w", fd.Model, fd.Kind, os.ErrNoDeadline)
	}
	return nil
}

// probe finds what sysfd is; it fails with EBADF for a descriptor that is
// not open.
func probe(sysfd int) (k Kind, family int, network string, err error) {
	if sysfd < 0 {
		return 0, 0, "", ErrNegativeFD
	}
	sotype, family, err := sock.Type(sysfd)
	if err == nil {
		switch sotype {
		case unix.SOCK_STREAM:
			k = Stream
		case unix.SOCK_DGRAM:
			k = Datagram
		case unix.SOCK_SEQPACKET:
			k = SeqPacket
		default:
			return 0, 0, "", fmt.Errorf("socket type %d is not supported (want SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET)", sotype)
		}
		return k, family, sock.NetworkName(family, sotype), nil
	}
	if err != unix.ENOTSOCK {
		return 0, 0, "", os.NewSyscallError("getsockopt", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(sysfd, &st); err != nil {
		return 0, 0, "", os.NewSyscallError("fstat", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return Pipe, 0, "pipe", nil
	case unix.S_IFCHR:
		return Char, 0, "char", nil
	case unix.S_IFREG:
		return File, 0, "file", nil
	}
	return Other, 0, "fd", nil
}

// CheckOpen fails as New would for a negative or closed sysfd. A model that
// opens descriptors of its own on first use (a default poller or ring)
// calls it before doing so: its own descriptor could otherwise take a
// closed sysfd's number and make it look open.
func CheckOpen(model string, sysfd int) error {
	if sysfd < 0 {
		return NewError(model, sysfd, ErrNegativeFD)
	}
	if _, err := unix.FcntlInt(uintptr(sysfd), unix.F_GETFD, 0); err != nil {
		return NewError(model, sysfd, os.NewSyscallError("fcntl", err))
	}
	return nil
}
