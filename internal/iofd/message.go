package iofd

import "net"

// Message is one datagram of a batch (FD.ReadBatch, FD.WriteBatch), in the
// shape of golang.org/x/net/ipv4.Message.
type Message struct {
	// Buffers are the datagram's bytes, scattered (read) or gathered
	// (write) in order: a Message needs at least one.
	Buffers [][]byte
	// OOB is room for, or the content of, the datagram's control
	// messages; it may be nil.
	OOB []byte
	// Addr is the sender (read) or the destination (write; nil on a
	// connected socket).
	Addr net.Addr
	// N and NN are the bytes of Buffers and of OOB read or written.
	N, NN int
	// Flags are the datagram's message flags (MSG_TRUNC, MSG_CTRUNC), on
	// read.
	Flags int
}
