package uring

import "sync"

var (
	defaultMu   sync.Mutex
	defaultRing *Ring
)

// Default returns the shared ring with a reference taken for the caller, who
// drops it with Release. The first caller starts the ring; the Release that
// drops the last reference stops it (thread gone, fds closed), and the next
// Default starts a fresh one.
func Default() (*Ring, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultRing != nil && defaultRing.Acquire() {
		return defaultRing, nil
	}
	r, err := New(Config{})
	if err != nil {
		return nil, err
	}
	defaultRing = r
	return r, nil
}
