package uring

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// New starts a ring and its owner. It fails with an *UnsupportedError (which
// wraps errors.ErrUnsupported) when io_uring is absent or forbidden. The ring
// holds one reference, dropped by Release.
func New(c Config) (*Ring, error) {
	if c.Entries == 0 {
		c.Entries = DefaultEntries
	}
	if c.CQEntries == 0 {
		c.CQEntries = DefaultCQEntries
	}
	c.Entries = max(c.Entries, minSQ)
	c.CQEntries = max(c.CQEntries, 2*c.Entries, minCQ)
	r := &Ring{refs: 1, exited: make(chan struct{}), efd: -1, procs: runtime.GOMAXPROCS(0)}
	ready := make(chan error, 1)
	go r.run(c, ready)
	if err := <-ready; err != nil {
		<-r.exited
		return nil, err
	}
	return r, nil
}

// wake writes the eventfd, completing the READ the owner keeps armed on it
// (eventfd(2)), so that an owner asleep in io_uring_enter returns.
func (r *Ring) wake() {
	one := uint64(1)
	b := (*[8]byte)(unsafe.Pointer(&one))
	for {
		_, err := unix.Write(r.efd, b[:])
		if err != unix.EINTR {
			break
		}
	}
	r.wakeups.Add(1)
}
