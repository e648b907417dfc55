package uring

import "unsafe"

// One function per opcode, each filling a zeroed SQE the way the kernel reads
// it (io_uring_enter(2), "IORING_OP_*"). user_data is set by the caller.

func prepNop(e *io_uring_sqe) {
	e.opcode = IORING_OP_NOP
	e.fd = -1
}

// prepRead is read(2) (or pread(2) when off is not ^0: IORING_FEAT_RW_CUR_POS
// makes off == -1 mean "the file position", which io_uring updates like read(2)).
func prepRead(e *io_uring_sqe, fd int32, buf unsafe.Pointer, n uint32, off uint64) {
	e.opcode = IORING_OP_READ
	e.fd = fd
	e.addr = uint64(uintptr(buf))
	e.len = n
	e.off = off
}

// prepWrite is write(2) (pwrite(2) unless off is ^0, as for prepRead).
func prepWrite(e *io_uring_sqe, fd int32, buf unsafe.Pointer, n uint32, off uint64) {
	e.opcode = IORING_OP_WRITE
	e.fd = fd
	e.addr = uint64(uintptr(buf))
	e.len = n
	e.off = off
}

// prepSend is send(2) with msg_flags (MSG_NOSIGNAL for us).
func prepSend(e *io_uring_sqe, fd int32, buf unsafe.Pointer, n uint32, msgFlags uint32) {
	e.opcode = IORING_OP_SEND
	e.fd = fd
	e.addr = uint64(uintptr(buf))
	e.len = n
	e.opFlags = msgFlags
}

// prepRecv is recv(2) with msg_flags.
func prepRecv(e *io_uring_sqe, fd int32, buf unsafe.Pointer, n uint32, msgFlags uint32) {
	e.opcode = IORING_OP_RECV
	e.fd = fd
	e.addr = uint64(uintptr(buf))
	e.len = n
	e.opFlags = msgFlags
}

// prepRecvMsg is recvmsg(2) of the struct msghdr at msg with msg_flags
// (liburing's io_uring_prep_recvmsg: len 1).
func prepRecvMsg(e *io_uring_sqe, fd int32, msg unsafe.Pointer, msgFlags uint32) {
	e.opcode = IORING_OP_RECVMSG
	e.fd = fd
	e.addr = uint64(uintptr(msg))
	e.len = 1
	e.opFlags = msgFlags
}

// prepSendMsg is sendmsg(2) of the struct msghdr at msg with msg_flags.
func prepSendMsg(e *io_uring_sqe, fd int32, msg unsafe.Pointer, msgFlags uint32) {
	e.opcode = IORING_OP_SENDMSG
	e.fd = fd
	e.addr = uint64(uintptr(msg))
	e.len = 1
	e.opFlags = msgFlags
}

// prepWritev is writev(2) of the n struct iovec at iov (pwritev(2) unless
// off is ^0, as for prepRead).
func prepWritev(e *io_uring_sqe, fd int32, iov unsafe.Pointer, n uint32, off uint64) {
	e.opcode = IORING_OP_WRITEV
	e.fd = fd
	e.addr = uint64(uintptr(iov))
	e.len = n
	e.off = off
}

// prepSplice is splice(2) of n bytes from fdIn at offIn to fdOut at offOut:
// fd is fd_out, splice_fd_in (file_index here) fd_in, splice_off_in shares
// addr, off is off_out, splice_flags share op_flags. An offset of ^0 (-1)
// means none, as a NULL offset pointer does for splice(2).
func prepSplice(e *io_uring_sqe, fdIn int32, offIn uint64, fdOut int32, offOut uint64, n uint32, flags uint32) {
	e.opcode = IORING_OP_SPLICE
	e.fd = fdOut
	e.file_index = uint32(fdIn)
	e.addr = offIn
	e.off = offOut
	e.len = n
	e.opFlags = flags
}

// prepPollAdd is a one-shot poll for events. poll32_events shares the
// 32-bit op_flags word; <linux/io_uring.h> says it is "word-reversed for
// BE": the kernel reads its two 16-bit halves swapped on a big-endian
// machine (liburing's __swahw32).
func prepPollAdd(e *io_uring_sqe, fd int32, events uint32) {
	e.opcode = IORING_OP_POLL_ADD
	e.fd = fd
	if bigEndian {
		events = events<<16 | events>>16
	}
	e.opFlags = events
}

// bigEndian is whether this machine stores the high byte first.
var bigEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

// prepAccept is accept4(2): addr and addrLen point to memory the kernel
// writes at completion (they live in the slot), flags are accept4's.
func prepAccept(e *io_uring_sqe, fd int32, addr unsafe.Pointer, addrLen *uint32, flags uint32) {
	e.opcode = IORING_OP_ACCEPT
	e.fd = fd
	e.addr = uint64(uintptr(addr))
	e.off = uint64(uintptr(unsafe.Pointer(addrLen)))
	e.opFlags = flags
}

// prepConnect is connect(2); the sockaddr lives in the slot until completion.
func prepConnect(e *io_uring_sqe, fd int32, addr unsafe.Pointer, addrLen uint32) {
	e.opcode = IORING_OP_CONNECT
	e.fd = fd
	e.addr = uint64(uintptr(addr))
	e.off = uint64(addrLen)
}

// prepCancel cancels the request whose user_data is target
// (IORING_OP_ASYNC_CANCEL, io_uring_enter(2); liburing's
// io_uring_cancelation(7) explains the outcomes: the target completes with
// -ECANCELED, or it was already running or done).
func prepCancel(e *io_uring_sqe, target uint64) {
	e.opcode = IORING_OP_ASYNC_CANCEL
	e.fd = -1
	e.addr = target
}

// prepCancelFD cancels every request on fd (IORING_ASYNC_CANCEL_FD|ALL, 5.19).
func prepCancelFD(e *io_uring_sqe, fd int32) {
	e.opcode = IORING_OP_ASYNC_CANCEL
	e.fd = fd
	e.opFlags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL
}

// prepCancelAll cancels every request on the ring (IORING_ASYNC_CANCEL_ANY|ALL).
func prepCancelAll(e *io_uring_sqe) {
	e.opcode = IORING_OP_ASYNC_CANCEL
	e.fd = -1
	e.opFlags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL
}

// prepLinkTimeout bounds the SQE before it (which carries IOSQE_IO_LINK): if
// ts elapses first, that request completes with -ECANCELED and this one with
// -ETIME; otherwise this one completes with -ECANCELED. ts is relative and
// lives in the slot (the kernel copies it at submission, IORING_FEAT_SUBMIT_STABLE).
func prepLinkTimeout(e *io_uring_sqe, ts unsafe.Pointer) {
	e.opcode = IORING_OP_LINK_TIMEOUT
	e.fd = -1
	e.addr = uint64(uintptr(ts))
	e.len = 1
}
