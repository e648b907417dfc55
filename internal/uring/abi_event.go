package uring

// The pieces of <linux/io_uring.h> an event loop uses beyond abi.go's:
// multishot requests and provided-buffer rings. Names are the header's;
// abi_event_test.go checks the layouts.

// io_uring_buf is one entry of a provided-buffer ring: a buffer the kernel
// may pick for a request marked IOSQE_BUFFER_SELECT. The ring's tail
// (struct io_uring_buf_ring) overlays resv of entry 0.
type io_uring_buf struct {
	addr uint64
	len  uint32
	bid  uint16
	resv uint16 // the ring's tail, in entry 0
}

// io_uring_buf_reg is IORING_REGISTER_PBUF_RING's argument (Linux 5.19):
// the ring's address (page-aligned memory of ring_entries io_uring_bufs,
// a power of two up to 32768) and its buffer group ID.
type io_uring_buf_reg struct {
	ring_addr    uint64
	ring_entries uint32
	bgid         uint16
	flags        uint16 // pad in older headers; IOU_PBUF_RING_MMAP etc.
	resv         [3]uint64
}

// io_uring_register(2) opcodes for provided-buffer rings.
const (
	IORING_REGISTER_PBUF_RING   = 22
	IORING_UNREGISTER_PBUF_RING = 23
)

// IORING_POLL_ADD_MULTI, in a POLL_ADD's len: the poll stays armed and posts
// a CQE (with IORING_CQE_F_MORE) each time the events are ready (5.13).
const IORING_POLL_ADD_MULTI = 1 << 0

// IORING_ACCEPT_MULTISHOT, in an ACCEPT's ioprio: one request accepts
// connection after connection, a CQE each, flagged IORING_CQE_F_MORE while
// it stays armed (5.19).
const IORING_ACCEPT_MULTISHOT = 1 << 0

// IORING_CQE_BUFFER_SHIFT: with IORING_CQE_F_BUFFER, the upper 16 bits of
// cqe->flags are the ID of the provided buffer the kernel picked.
const IORING_CQE_BUFFER_SHIFT = 16

// sizeofBuf is sizeof(struct io_uring_buf); abi_event_test.go checks it.
const sizeofBuf = 16
