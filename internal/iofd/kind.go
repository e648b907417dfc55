package iofd

import (
	"errors"
	"fmt"
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
