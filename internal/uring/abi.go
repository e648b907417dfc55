package uring

// This file mirrors <linux/io_uring.h> (the kernel's uapi header, shipped by
// Debian in linux-libc-dev). Names are the header's, so a reader can check each
// line against it. Only what this package uses is here, plus the opcode list
// in full because IORING_REGISTER_PROBE reports support by opcode number.
//
// A __u64 is a uint64 here on every architecture, 32-bit ones included: a
// pointer handed to the kernel in one (addr, off as &addrlen, ts) is stored as
// uint64(uintptr(p)), which the kernel reads back with u64_to_user_ptr, and
// user_data is 64 bits everywhere. Every __u64 in these structs sits at a
// multiple of 8, so i386's 4-byte alignment of 64-bit fields changes nothing;
// abi_test.go checks each size and offset against the header.

// io_uring_sqe is the 64-byte submission queue entry. Unions are collapsed to
// their first member; the comment names the members we use.
type io_uring_sqe struct {
	opcode      uint8  // IORING_OP_*
	flags       uint8  // IOSQE_*
	ioprio      uint16 // also IORING_RECVSEND_* and IORING_ACCEPT_* flags
	fd          int32
	off         uint64 // off | addr2: offset, or &addrlen for ACCEPT
	addr        uint64 // buffer, sockaddr, or user_data to cancel
	len         uint32
	opFlags     uint32 // rw_flags | msg_flags | timeout_flags | accept_flags | cancel_flags
	user_data   uint64
	buf_index   uint16 // buf_index | buf_group
	personality uint16
	file_index  uint32 // splice_fd_in | file_index | addr_len
	addr3       uint64
	_           [1]uint64
}

// io_uring_cqe is the 16-byte completion queue entry (no IORING_SETUP_CQE32).
type io_uring_cqe struct {
	user_data uint64
	res       int32
	flags     uint32
}

type io_sqring_offsets struct {
	head         uint32
	tail         uint32
	ring_mask    uint32
	ring_entries uint32
	flags        uint32
	dropped      uint32
	array        uint32
	resv1        uint32
	user_addr    uint64 // resv2 in older headers
}

type io_cqring_offsets struct {
	head         uint32
	tail         uint32
	ring_mask    uint32
	ring_entries uint32
	overflow     uint32
	cqes         uint32
	flags        uint32
	resv1        uint32
	user_addr    uint64 // resv2 in older headers
}

// io_uring_params is passed to io_uring_setup(2) and copied back filled in.
type io_uring_params struct {
	sq_entries     uint32
	cq_entries     uint32
	flags          uint32
	sq_thread_cpu  uint32
	sq_thread_idle uint32
	features       uint32
	wq_fd          uint32
	resv           [3]uint32
	sq_off         io_sqring_offsets
	cq_off         io_cqring_offsets
}

type io_uring_probe_op struct {
	op    uint8
	resv  uint8
	flags uint16 // IO_URING_OP_SUPPORTED
	resv2 uint32
}

// io_uring_probe with room for every opcode number a uint8 can name.
type io_uring_probe struct {
	last_op uint8
	ops_len uint8
	resv    uint16
	resv2   [3]uint32
	ops     [256]io_uring_probe_op
}

// __kernel_timespec (<linux/time_types.h>): 64-bit on every architecture,
// unlike unix.Timespec on 32-bit ones. IORING_OP_LINK_TIMEOUT reads this.
type __kernel_timespec struct {
	tv_sec  int64
	tv_nsec int64
}

// io_uring_getevents_arg is io_uring_enter(2)'s argument with
// IORING_ENTER_EXT_ARG: here, a timeout for the wait (ts points to a
// __kernel_timespec).
type io_uring_getevents_arg struct {
	sigmask    uint64
	sigmask_sz uint32
	pad        uint32
	ts         uint64
}

// sqe->flags
const (
	IOSQE_FIXED_FILE       = 1 << 0
	IOSQE_IO_DRAIN         = 1 << 1
	IOSQE_IO_LINK          = 1 << 2
	IOSQE_IO_HARDLINK      = 1 << 3
	IOSQE_ASYNC            = 1 << 4
	IOSQE_BUFFER_SELECT    = 1 << 5
	IOSQE_CQE_SKIP_SUCCESS = 1 << 6
)

// io_uring_setup(2) flags
const (
	IORING_SETUP_IOPOLL        = 1 << 0
	IORING_SETUP_SQPOLL        = 1 << 1
	IORING_SETUP_SQ_AFF        = 1 << 2
	IORING_SETUP_CQSIZE        = 1 << 3
	IORING_SETUP_CLAMP         = 1 << 4
	IORING_SETUP_ATTACH_WQ     = 1 << 5
	IORING_SETUP_R_DISABLED    = 1 << 6
	IORING_SETUP_SUBMIT_ALL    = 1 << 7
	IORING_SETUP_COOP_TASKRUN  = 1 << 8
	IORING_SETUP_TASKRUN_FLAG  = 1 << 9
	IORING_SETUP_SQE128        = 1 << 10
	IORING_SETUP_CQE32         = 1 << 11
	IORING_SETUP_SINGLE_ISSUER = 1 << 12
	IORING_SETUP_DEFER_TASKRUN = 1 << 13
)

// enum io_uring_op
const (
	IORING_OP_NOP = iota
	IORING_OP_READV
	IORING_OP_WRITEV
	IORING_OP_FSYNC
	IORING_OP_READ_FIXED
	IORING_OP_WRITE_FIXED
	IORING_OP_POLL_ADD
	IORING_OP_POLL_REMOVE
	IORING_OP_SYNC_FILE_RANGE
	IORING_OP_SENDMSG
	IORING_OP_RECVMSG
	IORING_OP_TIMEOUT
	IORING_OP_TIMEOUT_REMOVE
	IORING_OP_ACCEPT
	IORING_OP_ASYNC_CANCEL
	IORING_OP_LINK_TIMEOUT
	IORING_OP_CONNECT
	IORING_OP_FALLOCATE
	IORING_OP_OPENAT
	IORING_OP_CLOSE
	IORING_OP_FILES_UPDATE
	IORING_OP_STATX
	IORING_OP_READ
	IORING_OP_WRITE
	IORING_OP_FADVISE
	IORING_OP_MADVISE
	IORING_OP_SEND
	IORING_OP_RECV
	IORING_OP_OPENAT2
	IORING_OP_EPOLL_CTL
	IORING_OP_SPLICE
	IORING_OP_PROVIDE_BUFFERS
	IORING_OP_REMOVE_BUFFERS
	IORING_OP_TEE
	IORING_OP_SHUTDOWN
	IORING_OP_RENAMEAT
	IORING_OP_UNLINKAT
	IORING_OP_MKDIRAT
	IORING_OP_SYMLINKAT
	IORING_OP_LINKAT
	IORING_OP_MSG_RING
	IORING_OP_FSETXATTR
	IORING_OP_SETXATTR
	IORING_OP_FGETXATTR
	IORING_OP_GETXATTR
	IORING_OP_SOCKET
	IORING_OP_URING_CMD
	IORING_OP_SEND_ZC
	IORING_OP_SENDMSG_ZC
	IORING_OP_LAST
)

// sqe->timeout_flags
const (
	IORING_TIMEOUT_ABS           = 1 << 0
	IORING_TIMEOUT_UPDATE        = 1 << 1
	IORING_TIMEOUT_BOOTTIME      = 1 << 2
	IORING_TIMEOUT_REALTIME      = 1 << 3
	IORING_LINK_TIMEOUT_UPDATE   = 1 << 4
	IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5
)

// ASYNC_CANCEL flags (sqe->cancel_flags)
const (
	IORING_ASYNC_CANCEL_ALL      = 1 << 0
	IORING_ASYNC_CANCEL_FD       = 1 << 1
	IORING_ASYNC_CANCEL_ANY      = 1 << 2
	IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3
	IORING_ASYNC_CANCEL_USERDATA = 1 << 4
	IORING_ASYNC_CANCEL_OP       = 1 << 5
)

// send/recv flags in sqe->ioprio
const (
	IORING_RECVSEND_POLL_FIRST = 1 << 0
	IORING_RECV_MULTISHOT      = 1 << 1
)

// cqe->flags
const (
	IORING_CQE_F_BUFFER        = 1 << 0
	IORING_CQE_F_MORE          = 1 << 1
	IORING_CQE_F_SOCK_NONEMPTY = 1 << 2
	IORING_CQE_F_NOTIF         = 1 << 3
)

// Magic offsets for mmap(2) of the ring fd.
const (
	IORING_OFF_SQ_RING = 0
	IORING_OFF_CQ_RING = 0x8000000
	IORING_OFF_SQES    = 0x10000000
)

// sq_ring->flags
const (
	IORING_SQ_NEED_WAKEUP = 1 << 0
	IORING_SQ_CQ_OVERFLOW = 1 << 1
	IORING_SQ_TASKRUN     = 1 << 2
)

// io_uring_enter(2) flags
const (
	IORING_ENTER_GETEVENTS       = 1 << 0
	IORING_ENTER_SQ_WAKEUP       = 1 << 1
	IORING_ENTER_SQ_WAIT         = 1 << 2
	IORING_ENTER_EXT_ARG         = 1 << 3
	IORING_ENTER_REGISTERED_RING = 1 << 4
)

// io_uring_params->features
const (
	IORING_FEAT_SINGLE_MMAP     = 1 << 0
	IORING_FEAT_NODROP          = 1 << 1
	IORING_FEAT_SUBMIT_STABLE   = 1 << 2
	IORING_FEAT_RW_CUR_POS      = 1 << 3
	IORING_FEAT_CUR_PERSONALITY = 1 << 4
	IORING_FEAT_FAST_POLL       = 1 << 5
	IORING_FEAT_POLL_32BITS     = 1 << 6
	IORING_FEAT_SQPOLL_NONFIXED = 1 << 7
	IORING_FEAT_EXT_ARG         = 1 << 8
	IORING_FEAT_NATIVE_WORKERS  = 1 << 9
	IORING_FEAT_RSRC_TAGS       = 1 << 10
	IORING_FEAT_CQE_SKIP        = 1 << 11
	IORING_FEAT_LINKED_FILE     = 1 << 12
)

// io_uring_register(2) opcodes (the ones we use).
const (
	IORING_REGISTER_EVENTFD   = 4
	IORING_UNREGISTER_EVENTFD = 5
	IORING_REGISTER_PROBE     = 8
)

// io_uring_probe_op->flags
const IO_URING_OP_SUPPORTED = 1 << 0

// Sizes the kernel fixes, for the mmap lengths; abi_test.go checks them.
const (
	sizeofSQE    = 64
	sizeofCQE    = 16
	sizeofParams = 120
)
