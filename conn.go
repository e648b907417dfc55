package iomodel

import "golang.org/x/net/ipv4"

// Conn is what every model's connection is: bytes in, bytes out, and an end.
//
// The contract every implementation in this module keeps (and that
// [github.com/iomodel/iomodel/conntest] checks):
//
//   - Send writes all of p on a stream (looping over short writes) and exactly
//     one message on a datagram or seqpacket socket. Concurrent Sends never
//     interleave their bytes.
//   - Recv returns at least one byte, or io.EOF (unwrapped, so io.Copy's ==
//     comparison works) once the peer has shut down a stream. Concurrent Recvs
//     are serialized.
//   - Zero-length Send and Recv return 0, nil (after checking the Conn is
//     open). On a datagram socket a zero-length Send sends an empty
//     datagram, as net's UDPConn.Write(nil) does: an empty datagram is a
//     message, and the peer's Recv returns 0, nil for it. On a stream or
//     seqpacket socket it sends nothing (an empty seqpacket record would
//     read as the end of the connection).
//   - Close unblocks every pending Send and Recv; they return an error wrapping
//     net.ErrClosed. The descriptor itself is closed only after the last call
//     in flight has returned, so a reused descriptor number is never touched.
//     A second Close returns an error wrapping net.ErrClosed.
//
// Errors other than io.EOF are *net.OpError values. Their Err is
// net.ErrClosed, os.ErrDeadlineExceeded (whose Timeout method reports true),
// or an *os.SyscallError naming the system call and keeping its errno, so
// errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed) and
// errors.Is(err, os.ErrDeadlineExceeded) all work, and err.(net.Error).Timeout()
// is true for an expired deadline. EINTR is retried and never returned. A Send
// to a peer that has gone returns EPIPE and never raises SIGPIPE.
type Conn interface {
	// Send writes p: all of it on a stream, one message on a datagram socket.
	Send(p []byte) (n int, err error)
	// Recv reads into p: at least one byte, or io.EOF at orderly shutdown.
	Recv(p []byte) (n int, err error)
	// Close releases the connection and unblocks every pending call.
	Close() error
}

// Message is one datagram of a batch, for every model's PacketConn.ReadBatch
// and WriteBatch: a batch is a []Message, read with one recvmmsg(2) or
// written with one sendmmsg(2) where the kernel allows.
//
// It is golang.org/x/net/ipv4.Message itself (an alias, as ipv6.Message
// is), so a PacketConn's ReadBatch is the method that x/net's users and
// quic-go look for (quic-go reads in batches only from a PacketConn with
// ReadBatch([]ipv4.Message, int) or one that is a net.Conn), and the same
// batch can go to either. Its fields:
//
//   - Buffers are the datagram's bytes, scattered (read) or gathered
//     (write) in order: a Message needs at least one.
//   - OOB is room for, or the content of, the datagram's control
//     messages; it may be nil.
//   - Addr is the sender (read) or the destination (write; nil on a
//     connected socket).
//   - N and NN are the bytes of Buffers and of OOB read or written.
//   - Flags are the datagram's message flags (MSG_TRUNC, MSG_CTRUNC), on
//     read.
type Message = ipv4.Message
