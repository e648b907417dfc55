package uring

import (
	"testing"
	"unsafe"
)

// TestABILayout checks every struct abi.go mirrors against the layout of
// <linux/io_uring.h> and <linux/time_types.h>. The numbers are the header's,
// worked out by hand from its field types (every __u64 there sits at a
// multiple of 8, so the layout is the same on 32-bit and 64-bit
// architectures, i386's 4-byte alignment of __u64 included). It runs on
// every GOARCH: a field whose Go type has the wrong size moves every field
// after it.
func TestABILayout(t *testing.T) {
	var (
		sqe   io_uring_sqe
		cqe   io_uring_cqe
		sqo   io_sqring_offsets
		cqo   io_cqring_offsets
		p     io_uring_params
		po    io_uring_probe_op
		pr    io_uring_probe
		ts    __kernel_timespec
		gearg io_uring_getevents_arg
	)
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(struct io_uring_sqe)", unsafe.Sizeof(sqe), 64},
		{"io_uring_sqe.opcode", unsafe.Offsetof(sqe.opcode), 0},
		{"io_uring_sqe.flags", unsafe.Offsetof(sqe.flags), 1},
		{"io_uring_sqe.ioprio", unsafe.Offsetof(sqe.ioprio), 2},
		{"io_uring_sqe.fd", unsafe.Offsetof(sqe.fd), 4},
		{"io_uring_sqe.off", unsafe.Offsetof(sqe.off), 8},
		{"io_uring_sqe.addr", unsafe.Offsetof(sqe.addr), 16},
		{"io_uring_sqe.len", unsafe.Offsetof(sqe.len), 24},
		{"io_uring_sqe.rw_flags", unsafe.Offsetof(sqe.opFlags), 28},
		{"io_uring_sqe.user_data", unsafe.Offsetof(sqe.user_data), 32},
		{"io_uring_sqe.buf_index", unsafe.Offsetof(sqe.buf_index), 40},
		{"io_uring_sqe.personality", unsafe.Offsetof(sqe.personality), 42},
		{"io_uring_sqe.file_index", unsafe.Offsetof(sqe.file_index), 44},
		{"io_uring_sqe.addr3", unsafe.Offsetof(sqe.addr3), 48},

		{"sizeof(struct io_uring_cqe)", unsafe.Sizeof(cqe), 16},
		{"io_uring_cqe.user_data", unsafe.Offsetof(cqe.user_data), 0},
		{"io_uring_cqe.res", unsafe.Offsetof(cqe.res), 8},
		{"io_uring_cqe.flags", unsafe.Offsetof(cqe.flags), 12},

		{"sizeof(struct io_sqring_offsets)", unsafe.Sizeof(sqo), 40},
		{"io_sqring_offsets.head", unsafe.Offsetof(sqo.head), 0},
		{"io_sqring_offsets.tail", unsafe.Offsetof(sqo.tail), 4},
		{"io_sqring_offsets.ring_mask", unsafe.Offsetof(sqo.ring_mask), 8},
		{"io_sqring_offsets.ring_entries", unsafe.Offsetof(sqo.ring_entries), 12},
		{"io_sqring_offsets.flags", unsafe.Offsetof(sqo.flags), 16},
		{"io_sqring_offsets.dropped", unsafe.Offsetof(sqo.dropped), 20},
		{"io_sqring_offsets.array", unsafe.Offsetof(sqo.array), 24},
		{"io_sqring_offsets.resv1", unsafe.Offsetof(sqo.resv1), 28},
		{"io_sqring_offsets.resv2", unsafe.Offsetof(sqo.user_addr), 32},

		{"sizeof(struct io_cqring_offsets)", unsafe.Sizeof(cqo), 40},
		{"io_cqring_offsets.head", unsafe.Offsetof(cqo.head), 0},
		{"io_cqring_offsets.tail", unsafe.Offsetof(cqo.tail), 4},
		{"io_cqring_offsets.ring_mask", unsafe.Offsetof(cqo.ring_mask), 8},
		{"io_cqring_offsets.ring_entries", unsafe.Offsetof(cqo.ring_entries), 12},
		{"io_cqring_offsets.overflow", unsafe.Offsetof(cqo.overflow), 16},
		{"io_cqring_offsets.cqes", unsafe.Offsetof(cqo.cqes), 20},
		{"io_cqring_offsets.flags", unsafe.Offsetof(cqo.flags), 24},
		{"io_cqring_offsets.resv1", unsafe.Offsetof(cqo.resv1), 28},
		{"io_cqring_offsets.resv2", unsafe.Offsetof(cqo.user_addr), 32},

		{"sizeof(struct io_uring_params)", unsafe.Sizeof(p), 120},
		{"io_uring_params.sq_entries", unsafe.Offsetof(p.sq_entries), 0},
		{"io_uring_params.cq_entries", unsafe.Offsetof(p.cq_entries), 4},
		{"io_uring_params.flags", unsafe.Offsetof(p.flags), 8},
		{"io_uring_params.sq_thread_cpu", unsafe.Offsetof(p.sq_thread_cpu), 12},
		{"io_uring_params.sq_thread_idle", unsafe.Offsetof(p.sq_thread_idle), 16},
		{"io_uring_params.features", unsafe.Offsetof(p.features), 20},
		{"io_uring_params.wq_fd", unsafe.Offsetof(p.wq_fd), 24},
		{"io_uring_params.resv", unsafe.Offsetof(p.resv), 28},
		{"io_uring_params.sq_off", unsafe.Offsetof(p.sq_off), 40},
		{"io_uring_params.cq_off", unsafe.Offsetof(p.cq_off), 80},

		{"sizeof(struct io_uring_probe_op)", unsafe.Sizeof(po), 8},
		{"io_uring_probe_op.op", unsafe.Offsetof(po.op), 0},
		{"io_uring_probe_op.resv", unsafe.Offsetof(po.resv), 1},
		{"io_uring_probe_op.flags", unsafe.Offsetof(po.flags), 2},
		{"io_uring_probe_op.resv2", unsafe.Offsetof(po.resv2), 4},

		// struct io_uring_probe is 16 bytes and a flexible ops[]; ours has 256.
		{"sizeof(io_uring_probe with 256 ops)", unsafe.Sizeof(pr), 16 + 256*8},
		{"io_uring_probe.last_op", unsafe.Offsetof(pr.last_op), 0},
		{"io_uring_probe.ops_len", unsafe.Offsetof(pr.ops_len), 1},
		{"io_uring_probe.resv", unsafe.Offsetof(pr.resv), 2},
		{"io_uring_probe.resv2", unsafe.Offsetof(pr.resv2), 4},
		{"io_uring_probe.ops", unsafe.Offsetof(pr.ops), 16},

		{"sizeof(struct __kernel_timespec)", unsafe.Sizeof(ts), 16},
		{"__kernel_timespec.tv_sec", unsafe.Offsetof(ts.tv_sec), 0},
		{"__kernel_timespec.tv_nsec", unsafe.Offsetof(ts.tv_nsec), 8},

		{"sizeof(struct io_uring_getevents_arg)", unsafe.Sizeof(gearg), 24},
		{"io_uring_getevents_arg.sigmask", unsafe.Offsetof(gearg.sigmask), 0},
		{"io_uring_getevents_arg.sigmask_sz", unsafe.Offsetof(gearg.sigmask_sz), 8},
		{"io_uring_getevents_arg.pad", unsafe.Offsetof(gearg.pad), 12},
		{"io_uring_getevents_arg.ts", unsafe.Offsetof(gearg.ts), 16},

		// The constants the mmap lengths are computed from.
		{"sizeofSQE", sizeofSQE, 64},
		{"sizeofCQE", sizeofCQE, 16},
		{"sizeofParams", sizeofParams, 120},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d (<linux/io_uring.h>)", c.name, c.got, c.want)
		}
	}
}
