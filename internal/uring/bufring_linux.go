package uring

import (
	"errors"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19):
// buffers lent to the kernel, which picks one only when data arrives for a
// request marked IOSQE_BUFFER_SELECT with the ring's group. A connection
// waiting for data on a multishot RECV holds no buffer of its own.
//
// Both the ring and the buffers are anonymous mappings, outside Go's heap:
// nothing moves them and the garbage collector never scans them, so they
// need no pinning. A buffer the kernel filled belongs to the owner until
// Recycle hands it back.
//
// Memory ordering: the owner writes an entry (address, length, ID), then
// stores the ring's new tail with an atomic store (a release); the kernel
// loads the tail with smp_load_acquire (io_uring/kbuf.c) before it reads
// the entries below it. The tail is a __u16 overlaying entry 0's resv, and
// Go has no 16-bit atomic store: the owner stores the 32-bit word made of
// entry 0's bid and the tail, both its own to write.
type BufRing struct {
	ring    []byte // entries io_uring_bufs; the tail in entry 0
	bufs    []byte // entries buffers of size bytes
	entries []io_uring_buf
	size    int
	mask    uint16
	tail    uint16
	group   uint16
	r       *EventRing
}

// NewBufRing registers a provided-buffer ring of n buffers (a power of two,
// at most 32768) of size bytes each, as buffer group group of r, and lends
// the kernel every buffer. A kernel without provided-buffer rings fails
// with an error wrapping errors.ErrUnsupported.
func (r *EventRing) NewBufRing(group uint16, n, size int) (*BufRing, error) {
	if n <= 0 || n > 1<<15 || n&(n-1) != 0 {
		return nil, errf("provided-buffer ring of %d entries: want a power of two up to 32768", n)
	}
	if size <= 0 || size > 1<<30 {
		return nil, errf("provided buffers of %d bytes", size)
	}
	pg := unix.Getpagesize()
	ringLen := (n*sizeofBuf + pg - 1) / pg * pg
	ring, err := unix.Mmap(-1, 0, ringLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, errf("mmap provided-buffer ring: %w", err)
	}
	// MAP_NORESERVE: only the pages data is written to take memory.
	bufs, err := unix.Mmap(-1, 0, n*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE|unix.MAP_NORESERVE)
	if err != nil {
		unix.Munmap(ring)
		return nil, errf("mmap provided buffers: %w", err)
	}
	b := &BufRing{ring: ring, bufs: bufs, size: size, mask: uint16(n - 1), group: group, r: r,
		entries: unsafe.Slice((*io_uring_buf)(unsafe.Pointer(&ring[0])), n)}
	reg := io_uring_buf_reg{ring_addr: uint64(uintptr(unsafe.Pointer(&ring[0]))), ring_entries: uint32(n), bgid: group}
	if err := sysRegister(r.q.fd, IORING_REGISTER_PBUF_RING, unsafe.Pointer(&reg), 1); err != nil {
		unix.Munmap(bufs)
		unix.Munmap(ring)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
			errno, _ := err.(syscall.Errno)
			return nil, &UnsupportedError{Errno: errno,
				Cause: "IORING_REGISTER_PBUF_RING failed: the kernel has no provided-buffer rings (older than 5.19)",
				Fix:   "run on Linux 6.0 or newer"}
		}
		return nil, errf("IORING_REGISTER_PBUF_RING: %w", err)
	}
	for i := 0; i < n; i++ {
		b.put(uint16(i))
	}
	b.publish()
	return b, nil
}

// Group is the ring's buffer group ID, for RecvMultishot.
func (b *BufRing) Group() uint16 { return b.group }

// Size is the length of each buffer.
func (b *BufRing) Size() int { return b.size }

// Buf is the first n bytes of buffer bid, which a completion reported
// filled. It stays the owner's until Recycle.
func (b *BufRing) Buf(bid uint16, n int) []byte {
	off := int(bid) * b.size
	return b.bufs[off : off+n : off+b.size]
}

// Recycle lends buffer bid to the kernel again.
func (b *BufRing) Recycle(bid uint16) {
	b.put(bid)
	b.publish()
}

// put writes buffer bid at the local tail (not yet visible to the kernel).
func (b *BufRing) put(bid uint16) {
	e := &b.entries[b.tail&b.mask]
	e.addr = uint64(uintptr(unsafe.Pointer(&b.bufs[int(bid)*b.size])))
	e.len = uint32(b.size)
	e.bid = bid
	b.tail++
}

// publish makes every entry put so far visible to the kernel (see the
// type's doc for the 32-bit store).
func (b *BufRing) publish() {
	word := (*uint32)(unsafe.Pointer(&b.entries[0].bid))
	bid0 := uint32(b.entries[0].bid)
	if bigEndian {
		atomic.StoreUint32(word, bid0<<16|uint32(b.tail))
	} else {
		atomic.StoreUint32(word, bid0|uint32(b.tail)<<16)
	}
}

// Close unregisters the ring and unmaps it. The owner calls it only when
// no request of the group is in flight.
func (b *BufRing) Close() {
	reg := io_uring_buf_reg{bgid: b.group}
	sysRegister(b.r.q.fd, IORING_UNREGISTER_PBUF_RING, unsafe.Pointer(&reg), 1)
	unix.Munmap(b.bufs)
	unix.Munmap(b.ring)
}

// Release gives the buffers' pages back to the system (madvise
// MADV_DONTNEED): they read as zeros and take memory again only when the
// kernel next writes into one. The owner calls it while it holds no buffer
// (every one lent to the kernel), for instance when its loop has been idle
// a while; it fails only if madvise does.
func (b *BufRing) Release() error {
	return unix.Madvise(b.bufs, unix.MADV_DONTNEED)
}
