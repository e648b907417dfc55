package iofd

import "sync/atomic"

// refs is the descriptor's reference count and closed bit in one word, so
// "take a reference unless closed" is a single compare-and-swap.
//
// The invariant: close(2) runs when, and only when, the closed bit is set and
// the count reaches zero. The count starts at 1 (the reference "open" holds,
// dropped by Close), every call holds one more while it runs, and so the
// descriptor outlives every call that can still touch it.
type refs struct {
	state atomic.Uint64
}

const closedBit = 1 << 63

func (r *refs) init() { r.state.Store(1) }

// incref takes a reference; it fails once the descriptor is closed.
func (r *refs) incref() bool {
	for {
		old := r.state.Load()
		if old&closedBit != 0 {
			return false
		}
		if r.state.CompareAndSwap(old, old+1) {
			return true
		}
	}
}

// decref drops a reference and reports whether it was the last one after
// Close, in which case the caller must destroy the descriptor.
func (r *refs) decref() (last bool) {
	return r.state.Add(^uint64(0)) == closedBit
}

// markClosed sets the closed bit; it reports false if it was already set.
func (r *refs) markClosed() bool {
	for {
		old := r.state.Load()
		if old&closedBit != 0 {
			return false
		}
		if r.state.CompareAndSwap(old, old|closedBit) {
			return true
		}
	}
}

func (r *refs) closed() bool { return r.state.Load()&closedBit != 0 }
