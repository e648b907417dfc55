package uring

import (
	"testing"
	"unsafe"
)

// TestABILayoutEvent checks abi_event.go's structs against the header's
// layout, as TestABILayout does abi.go's.
func TestABILayoutEvent(t *testing.T) {
	var (
		b   io_uring_buf
		reg io_uring_buf_reg
	)
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(struct io_uring_buf)", unsafe.Sizeof(b), sizeofBuf},
		{"io_uring_buf.addr", unsafe.Offsetof(b.addr), 0},
		{"io_uring_buf.len", unsafe.Offsetof(b.len), 8},
		{"io_uring_buf.bid", unsafe.Offsetof(b.bid), 12},
		{"io_uring_buf_ring.tail (io_uring_buf.resv)", unsafe.Offsetof(b.resv), 14},
		{"sizeof(struct io_uring_buf_reg)", unsafe.Sizeof(reg), 40},
		{"io_uring_buf_reg.ring_addr", unsafe.Offsetof(reg.ring_addr), 0},
		{"io_uring_buf_reg.ring_entries", unsafe.Offsetof(reg.ring_entries), 8},
		{"io_uring_buf_reg.bgid", unsafe.Offsetof(reg.bgid), 12},
		{"io_uring_buf_reg.pad", unsafe.Offsetof(reg.flags), 14},
		{"io_uring_buf_reg.resv", unsafe.Offsetof(reg.resv), 16},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
