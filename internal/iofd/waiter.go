package iofd

import "unsafe"

// Waiter is how a readiness model waits when a system call said EAGAIN.
// Wait is called with h's lock held; attempt counts the EAGAINs of this
// call so far (0 for the first), for back-off policies. Wait returns when
// the call should try again: on readiness, on a spurious wake-up, or because
// the FD was closed or the deadline passed or moved (the loop checks all of
// them before its next system call). An error from Wait ends the call with
// that error.
type Waiter interface {
	Wait(fd *FD, h *Half, attempt int) error
}

// Completer is a Waiter whose kernel performs the call itself (the async
// model, with io_uring): where a readiness model waits and then repeats the
// system call, a Completer hands the call over and waits for its result.
// The loop stays the same: check closed and deadline, attempt, apply the
// result.
type Completer interface {
	Waiter
	// Direct reports whether attempt of this call should first try the
	// system call itself, with MSG_DONTWAIT, before handing it over: false
	// goes to Complete at once (what is not a socket; a call that will
	// most likely wait). When the loop's attempt finds EAGAIN it calls
	// Wait, which may yield and return nil (the loop tries again) or
	// return ErrHandOver (the loop calls Complete).
	Direct(fd *FD, h *Half, op OpKind, attempt int) bool
	// Complete performs op on the caller's behalf and returns its result
	// as the system call would have: n ≥ 0 and a nil error, or the bare
	// errno (a syscall.Errno). ECANCELED and EINTR mean the operation was
	// withdrawn (Close, a deadline that moved or passed): the loop checks
	// and goes on. Any other error (os.ErrDeadlineExceeded when the
	// operation's own timeout fired, the ring closed) ends the call.
	Complete(fd *FD, h *Half, op *Op) (n int, err error)
}

// OpKind names the system call an Op stands for.
type OpKind uint8

// The operations a Completer is handed.
const (
	OpRecv    OpKind = iota + 1 // recv(2) on a socket
	OpRead                      // read(2) on anything else
	OpSend                      // send(2) on a socket, with MSG_NOSIGNAL
	OpWrite                     // write(2) on anything else
	OpAccept                    // accept4(2), the new fd is the result
	OpConnect                   // connect(2) to Addr
	// OpPoll waits until the descriptor is ready for Flags (POLLIN,
	// POLLOUT), for RawConn's Read and Write; the result is the events.
	// A Completer without it answers ENOSYS, and the loop then waits in
	// poll(2).
	OpPoll

	// The message, vector, batch and zero-copy operations. For each, a
	// Completer that does not perform it answers ENOSYS from Complete; the
	// loop then does the system call itself, with MSG_DONTWAIT (or the
	// socket in O_NONBLOCK for the zero-copy ones), and between attempts
	// waits for readiness as RawConn does: OpPoll, or poll(2) if that too
	// is ENOSYS. So a Completer may take these up one at a time.

	// OpRecvMsg is recvmsg(2) (IORING_OP_RECVMSG): Msg points at a
	// struct msghdr (unix.Msghdr) with its name, iovec and control
	// buffers set up; the kernel updates its msg_namelen, msg_controllen
	// and msg_flags in place, and the loop reads them there after
	// Complete returns. Flags are the recvmsg flags (MSG_CMSG_CLOEXEC
	// always). The result is the byte count.
	OpRecvMsg
	// OpSendMsg is sendmsg(2) (IORING_OP_SENDMSG) of the msghdr at Msg,
	// with Flags (MSG_NOSIGNAL always). Also Writev's operation on a
	// socket. The result is the byte count.
	OpSendMsg
	// OpWritev is writev(2) (IORING_OP_WRITEV) on what is not a socket:
	// Msg points at a struct msghdr whose msg_iov and msg_iovlen are the
	// vector (its other fields are zero). The result is the byte count.
	OpWritev
	// OpRecvMmsg is recvmmsg(2) of Count messages: Msg points at Count
	// struct mmsghdr in a row. io_uring has no such operation: a
	// Completer answers ENOSYS, or performs them as RECVMSG requests, in
	// which case it must fill the first k of them in order (each one's
	// msg_len and msghdr fields, as recvmsg does) and return k ≥ 1.
	OpRecvMmsg
	// OpSendMmsg is sendmmsg(2) of Count messages at Msg, with Flags
	// (MSG_NOSIGNAL always); the result is how many were sent, the
	// first k in order, each one's msg_len set.
	OpSendMmsg
	// OpSendfile is sendfile(2) of up to Count bytes from the regular
	// file Fd, at and advancing its file offset, to the FD's socket.
	// io_uring has no such operation: a Completer answers ENOSYS or does
	// it with SPLICE requests through a pipe of its own. The result is
	// the byte count; 0 means the end of the file.
	OpSendfile
	// OpSplice is splice(2) of up to Count bytes, with Flags
	// (SPLICE_F_*), between the FD's socket and the pipe Fd
	// (IORING_OP_SPLICE, both offsets -1): on the Write Half from Fd to
	// the socket, on the Read Half from the socket into Fd. The result
	// is the byte count; 0 on the Read Half is the end of the stream.
	OpSplice
)

// Op is one system call, described for a Completer.
type Op struct {
	Kind  OpKind
	Buf   []byte // what to read into or write from (OpRecv ... OpWrite)
	Flags int    // recv and send flags (MSG_*), accept4 flags (SOCK_*)
	// Addr is the address to connect to, laid out as the kernel reads a
	// struct sockaddr (OpConnect).
	Addr []byte
	// Msg is the kernel-layout struct msghdr (OpRecvMsg, OpSendMsg,
	// OpWritev) or the first of Count struct mmsghdr (OpRecvMmsg,
	// OpSendMmsg), and everything it points at, owned by the FD and kept
	// in place until Complete returns; the Completer may hand it to the
	// kernel as it is.
	Msg unsafe.Pointer
	// Count is the number of messages (OpRecvMmsg, OpSendMmsg) or the
	// most bytes to move (OpSendfile, OpSplice).
	Count int
	// Fd is the other descriptor of OpSendfile (the file) and OpSplice
	// (the pipe).
	Fd int
}

// handOver is ErrHandOver's type.
type handOver struct{}

func (handOver) Error() string { return "iofd: hand the call to the completer" }

// ErrHandOver, returned by a Completer's Wait, makes the loop hand the call
// to Complete rather than try the system call again.
var ErrHandOver error = handOver{}
