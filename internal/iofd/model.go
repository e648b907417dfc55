package iofd

import (
	"net"
	"unsafe"
)

// Driver is how one model drives the calls of its descriptors: the one
// interface each model implements,
// in its own package, as a pollDesc is package net's. Every operation
// (Recv, Send, the message calls, Accept, connect, sendfile, splice,
// RawConn's waits) goes through one loop (FD.do, loop_linux.go), which
// calls it:
//
//	for each attempt, with the Half's lock held:
//	    closed or deadline passed? fail
//	    n, err := Try(call)            // the system call, the model's way
//	    if err == EAGAIN:
//	        n, err = Wait(call)        // wait for readiness, or perform the call
//	    EINTR or ECANCELED: go round; else return n, err
//
// Close and a moved deadline leave a wake-up token in the Half (Half.Ready)
// and call Evict; the last reference's drop calls Destroy, then close(2).
type Driver interface {
	// Try makes one attempt at c on the caller's thread and returns what
	// the system call returned: n ≥ 0, or a bare errno (EAGAIN: it would
	// block). A readiness model calls c.Sys; the blocking model makes the
	// call sleep in the kernel, where a signal reaches it; a model whose
	// kernel performs the call may answer c.Skip (EAGAIN without a system
	// call) to have Wait perform it at once.
	Try(fd *FD, h *Half, c *Call) (int, error)
	// Wait is called after an attempt answered EAGAIN, and returns what a
	// system call that waited would have: EINTR when the call should be
	// tried again (on readiness, on a spurious wake-up, or because the FD
	// was closed or the deadline passed or moved: the loop checks them
	// all), the call's own result when the model had the kernel perform
	// it (n ≥ 0, or an errno; ECANCELED: withdrawn, the loop checks), or
	// any other error, which ends the call. Attempt counts the EAGAINs so
	// far, for back-off policies.
	Wait(fd *FD, h *Half, c *Call) (int, error)
	// Evict wakes the calls that wait elsewhere than in Half.Wait (in the
	// kernel, on a ring): h is the Half whose deadline moved, or nil when
	// the FD is being closed (it is marked closed, and every Half.Wait
	// woken, before). It may do nothing.
	Evict(fd *FD, h *Half)
	// Destroy runs once, when the last reference is dropped after Close,
	// just before close(2): it deregisters the descriptor from whatever
	// watches it (epoll, the signal dispatcher, the ring).
	Destroy(fd *FD)
}

// Call is one operation in the loop: what it does (its Op) and how far it
// has got. Each Half keeps one, made on first use and reused under the
// Half's lock, so that handing it to the Model costs no allocation.
type Call struct {
	Op
	// Attempt counts the attempts of this call so far (0 for the first).
	Attempt int

	skipped bool                  // this attempt made no system call (Skip)
	raw     func(fd uintptr) bool // OpPoll's attempt: the RawConn's function
	peer    net.Addr              // OpAccept's result: the address accept4(2) reported
}

// Skip is a Try's answer when it hands the call to Wait without a system
// call: EAGAIN, not counted as a would-block.
func (c *Call) Skip() (int, error) {
	c.skipped = true
	return 0, errAgain
}

// Woken is a Wait's answer when the call should be tried again: EINTR,
// as a system call interrupted before it did anything answers.
func (c *Call) Woken() (int, error) { return 0, errWoken }

// Tried reports whether this attempt made its system call: whether its
// EAGAIN says the descriptor is not ready.
func (c *Call) Tried() bool { return !c.skipped }

// call is h's Call, made on first use. Call it under h's lock.
func (h *Half) call() *Call {
	if h.c == nil {
		h.c = new(Call)
	}
	return h.c
}

// OpKind names the system call an Op stands for.
type OpKind uint8

// The operations of the loop.
const (
	OpRecv    OpKind = iota + 1 // recv(2) on a socket
	OpRead                      // read(2) on anything else
	OpSend                      // send(2) on a socket, with MSG_NOSIGNAL
	OpWrite                     // write(2) on anything else
	OpAccept                    // accept4(2), the new fd is the result
	OpConnect                   // connect(2) to Addr
	// OpPoll is RawConn's Read and Write: the attempt is the caller's
	// function, and the wait is for readiness in the Half's direction
	// (Flags: POLLIN or POLLOUT).
	OpPoll

	// The message, vector, batch and zero-copy operations. A model whose
	// kernel performs calls need not perform these: its Try may make
	// the system call (Call.Sys), with MSG_DONTWAIT (or the socket in
	// O_NONBLOCK for the zero-copy ones), and its Wait wait for readiness.

	// OpRecvMsg is recvmsg(2) (IORING_OP_RECVMSG): Msg points at a
	// struct msghdr (unix.Msghdr) with its name, iovec and control
	// buffers set up; the kernel updates its msg_namelen, msg_controllen
	// and msg_flags in place, and the loop reads them there after
	// the call. Flags are the recvmsg flags (MSG_CMSG_CLOEXEC
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
	// struct mmsghdr in a row. io_uring has no such operation: a model
	// that performs it as RECVMSG requests must fill the first k of them in order (each one's
	// msg_len and msghdr fields, as recvmsg does) and return k ≥ 1.
	OpRecvMmsg
	// OpSendMmsg is sendmmsg(2) of Count messages at Msg, with Flags
	// (MSG_NOSIGNAL always); the result is how many were sent, the
	// first k in order, each one's msg_len set.
	OpSendMmsg
	// OpSendfile is sendfile(2) of up to Count bytes from the regular
	// file Fd, at and advancing its file offset, to the FD's socket.
	// io_uring has no such operation. The result is
	// the byte count; 0 means the end of the file.
	OpSendfile
	// OpSplice is splice(2) of up to Count bytes, with Flags
	// (SPLICE_F_*), between the FD's socket and the pipe Fd
	// (IORING_OP_SPLICE, both offsets -1): on the Write Half from Fd to
	// the socket, on the Read Half from the socket into Fd. The result
	// is the byte count; 0 on the Read Half is the end of the stream.
	OpSplice
)

// Op is one system call, described for a Driver that performs it itself.
type Op struct {
	Kind OpKind
	// Fd is the other descriptor of OpSendfile (the file) and OpSplice
	// (the pipe).
	Fd int32
	// Buf is what to read into or write from (OpRecv ... OpWrite), and
	// for OpConnect the address to connect to, laid out as the kernel
	// reads a struct sockaddr.
	Buf   []byte
	Flags int // recv and send flags (MSG_*), accept4 flags (SOCK_*)
	// Msg is the kernel-layout struct msghdr (OpRecvMsg, OpSendMsg,
	// OpWritev) or the first of Count struct mmsghdr (OpRecvMmsg,
	// OpSendMmsg), and everything it points at, owned by the FD and kept
	// in place until the call returns; a Driver may hand it to the kernel
	// as it is.
	Msg unsafe.Pointer
	// Count is the number of messages (OpRecvMmsg, OpSendMmsg) or the
	// most bytes to move (OpSendfile, OpSplice).
	Count int
}
