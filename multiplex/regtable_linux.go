package multiplex

import (
	"sync"

	"golang.org/x/sys/unix"
)

// A reg is one registration of the poll or select backend.
type reg struct {
	fd     int
	events Events
	tag    uint64
}

// regTable is the interest list that poll(2) and select(2) need in user
// space, as the kernel keeps none between calls. Changes mark it dirty; the
// waiting goroutine rebuilds its own arrays from it before each system call,
// and a change made while it is inside the call wakes it (coalesced) so the
// change is not missed.
type regTable struct {
	b      Backend
	w      *waker
	mu     sync.Mutex
	regs   []reg       // in no particular order
	index  map[int]int // fd → position in regs
	dirty  bool        // regs changed since the last snapshot
	inWait bool        // a Wait is inside (or about to enter) its system call
	closed bool
}

func (t *regTable) init(b Backend, w *waker) {
	t.b, t.w, t.index = b, w, make(map[int]int)
}

// changed is called with mu held after every change.
func (t *regTable) changed() {
	t.dirty = true
	if t.inWait {
		t.w.kick()
	}
}

func (t *regTable) add(fd int, events Events, tag uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed(t.b, "add")
	}
	if _, ok := t.index[fd]; ok {
		return regError(t.b, "add", fd, unix.EEXIST)
	}
	t.index[fd] = len(t.regs)
	t.regs = append(t.regs, reg{fd, events, tag})
	t.changed()
	return nil
}

func (t *regTable) modify(fd int, events Events, tag uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed(t.b, "modify")
	}
	i, ok := t.index[fd]
	if !ok {
		return regError(t.b, "modify", fd, unix.ENOENT)
	}
	if t.regs[i].events == events && t.regs[i].tag == tag {
		return nil
	}
	t.regs[i].events, t.regs[i].tag = events, tag
	t.changed()
	return nil
}

func (t *regTable) remove(fd int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed(t.b, "remove")
	}
	i, ok := t.index[fd]
	if !ok {
		return regError(t.b, "remove", fd, unix.ENOENT)
	}
	last := len(t.regs) - 1
	if i != last {
		t.regs[i] = t.regs[last]
		t.index[t.regs[i].fd] = i
	}
	t.regs = t.regs[:last]
	delete(t.index, fd)
	t.changed()
	return nil
}

// A rebuilder turns the registrations into a backend's wait arrays.
type rebuilder interface{ rebuild(regs []reg) }

// enter starts a wait: if the table changed, r rebuilds its arrays (with mu
// held, so it sees a consistent table).
func (t *regTable) enter(r rebuilder) (closed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return true
	}
	if t.dirty {
		r.rebuild(t.regs)
		t.dirty = false
	}
	t.inWait = true
	return false
}

// leave ends the system call part of a wait.
func (t *regTable) leave() (closed bool) {
	t.mu.Lock()
	t.inWait = false
	closed = t.closed
	t.mu.Unlock()
	return closed
}

// close marks the table closed and wakes a Wait in progress.
func (t *regTable) close() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.closed = true
	t.w.kick()
	return true
}

// isDirty reports whether the table changed since the last snapshot.
func (t *regTable) isDirty() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dirty
}
