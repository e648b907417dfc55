package multiplex

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A waker is an eventfd(2) that makes a blocked wait return. Writes are
// coalesced: while one is pending (written, not yet drained) another kick
// does no system call.
type waker struct {
	fd      int
	pending atomic.Bool // an eventfd write is outstanding
	user    atomic.Bool // Wake was called since the last drain
}

func newWaker() (*waker, error) {
	// EFD_NONBLOCK: drain must never block when a racing drain got there
	// first. EFD_CLOEXEC: no fd of ours leaks into an exec'd child.
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &waker{fd: fd}, nil
}

// kick makes the eventfd readable unless a write is already pending.
func (w *waker) kick() error {
	if !w.pending.CompareAndSwap(false, true) {
		return nil
	}
	// eventfd(2) adds an 8-byte host-order integer to its counter; any
	// non-zero value makes it readable, whatever the byte order.
	one := [8]byte{1}
	for {
		_, err := unix.Write(w.fd, one[:])
		switch err {
		case nil, unix.EAGAIN: // EAGAIN: the counter is full, so it is readable anyway
			return nil
		case unix.EINTR:
			continue
		}
		w.pending.Store(false)
		return os.NewSyscallError("write", err)
	}
}

// wake is Selector.Wake: mark a user wake-up, then kick. The mark comes
// first so that the waiter, which reads the mark after it clears pending,
// sees it even when this kick found a write still pending (see drain).
func (w *waker) wake() error {
	w.user.Store(true)
	return w.kick()
}

// drain empties the eventfd and reports whether Wake was called. pending
// is cleared after the read, never before: a kick whose write landed
// between a clear and the read would have its write read away while
// pending stayed set, and every later kick would then write nothing, so
// no Wake would end a wait again (an Engine's loop slept for good with
// connections in its inbox). A kick between the read and the clear writes
// nothing, but its user mark, stored before it, is seen below.
func (w *waker) drain() (woken bool) {
	var buf [8]byte
	for {
		_, err := unix.Read(w.fd, buf[:])
		if err != unix.EINTR {
			break
		}
	}
	w.pending.Store(false)
	return w.user.Swap(false)
}

func (w *waker) close() error {
	if err := unix.Close(w.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
