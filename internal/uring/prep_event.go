package uring

// The preparations an event loop adds to prep.go's, one per opcode and
// mode, each filling a zeroed SQE as io_uring_enter(2) reads it.

// prepAcceptMultishot is accept4(2) with IORING_ACCEPT_MULTISHOT (5.19):
// the request stays armed and posts a CQE per connection (res is the new
// fd) with IORING_CQE_F_MORE while it does. No peer address: one request's
// address buffer would be overwritten by every accept, so addr and addrlen
// are NULL (liburing's io_uring_prep_multishot_accept says the same) and
// the caller asks getpeername(2).
func prepAcceptMultishot(e *io_uring_sqe, fd int32, flags uint32) {
	e.opcode = IORING_OP_ACCEPT
	e.fd = fd
	e.ioprio = IORING_ACCEPT_MULTISHOT
	e.opFlags = flags
}

// prepRecvMultishot is recv(2) with IORING_RECV_MULTISHOT (6.0): the
// request stays armed and posts a CQE each time data arrives, into a buffer
// the kernel picks from the provided-buffer ring of group (IOSQE_BUFFER_SELECT;
// the CQE's flags carry IORING_CQE_F_BUFFER and the buffer's ID). It ends
// (no IORING_CQE_F_MORE) at EOF (res 0), on an error, or with -ENOBUFS when
// the ring has no buffer left; the caller arms it again.
func prepRecvMultishot(e *io_uring_sqe, fd int32, group uint16) {
	e.opcode = IORING_OP_RECV
	e.fd = fd
	e.ioprio = IORING_RECV_MULTISHOT
	e.flags = IOSQE_BUFFER_SELECT
	e.buf_index = group
}

// prepPollMultishot is poll(2) for events with IORING_POLL_ADD_MULTI
// (5.13): a CQE each time the events are ready, IORING_CQE_F_MORE while it
// stays armed. The event word is stored as prepPollAdd stores it.
func prepPollMultishot(e *io_uring_sqe, fd int32, events uint32) {
	prepPollAdd(e, fd, events)
	e.len = IORING_POLL_ADD_MULTI
}
