package cmsg

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Each calls f with the level, type and data of each control message in
// oob, in order, until f returns false. A message whose length runs past
// the end of oob is cut there; one shorter than its header ends the walk.
func Each(oob []byte, f func(level, typ int32, data []byte) bool) {
	hdr := align(unix.SizeofCmsghdr)
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := min(int(h.Len), len(oob))
		if l < unix.SizeofCmsghdr {
			return
		}
		var data []byte
		if l > hdr {
			data = oob[hdr:l]
		}
		if !f(h.Level, h.Type, data) {
			return
		}
		next := align(l)
		if next >= len(oob) {
			return
		}
		oob = oob[next:]
	}
}

// align rounds n up to the alignment of control messages: a long's.
func align(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}
