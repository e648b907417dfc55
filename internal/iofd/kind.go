package iofd

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// Kind is what a descriptor refers to, as far as moving bytes is concerned.
type Kind uint8

// The kinds of descriptor the models meet.
const (
	Stream    Kind = iota + 1 // SOCK_STREAM socket (TCP, AF_UNIX stream)
	Datagram                  // SOCK_DGRAM socket (UDP, AF_UNIX datagram)
	SeqPacket                 // SOCK_SEQPACKET socket
	Pipe                      // pipe or FIFO
	Char                      // character device, such as a tty
	File                      // regular file
	Other                     // anything else (directory, eventfd, ...)
)

var kindNames = [...]string{"", "stream socket", "datagram socket", "seqpacket socket", "pipe", "character device", "regular file", "descriptor"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// IsSocket reports whether k is a socket.
func (k Kind) IsSocket() bool { return k == Stream || k == Datagram || k == SeqPacket }

// Messages reports whether each Send is one message (datagram and seqpacket
// sockets), rather than part of a byte stream.
func (k Kind) Messages() bool { return k == Datagram || k == SeqPacket }

// ErrNegativeFD is returned by New for a descriptor number below zero.
var ErrNegativeFD = errors.New("negative file descriptor")

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
