package loop

import (
	"testing"
	"unsafe"
)

// TestIdleConnSize: what an idle connection holds in the Go heap, on a
// 64-bit machine: a Conn in the 240-byte size class (the write queue, held
// input, late bytes and a Detach's hand-over are made only while there are
// some), and in a readiness loop's table one slot. A field added to Conn
// moves it to the next size class (256) and fails here; make room first,
// or say in README.md why it is worth 16 bytes per idle connection.
func TestIdleConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the sizes are a 64-bit machine's")
	}
	if got := unsafe.Sizeof(Conn{}); got > 240 {
		t.Errorf("Conn is %d bytes, want at most 240", got)
	}
	if got := unsafe.Sizeof(slot{}); got > 16 {
		t.Errorf("a readiness loop's slot is %d bytes, want at most 16", got)
	}
	if got := unsafe.Sizeof(aside{}); got > 56 {
		t.Errorf("aside is %d bytes, want at most 56", got)
	}
}
