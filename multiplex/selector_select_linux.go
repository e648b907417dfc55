package multiplex

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// fdSetSize is FD_SETSIZE from <sys/select.h>: an fd_set holds fds 0–1023.
const fdSetSize = 1024

// selectSelector passes two bitmaps to select(2) on every Wait, then scans
// every registered fd: O(watched fds) per call, and no fd ≥ FD_SETSIZE.
type selectSelector struct {
	t regTable
	w *waker

	// Owned by Wait (under waitMu): the sets as rebuilt from the table,
	// copied into the working sets before each call, and the fds to scan.
	waitMu     sync.Mutex
	rset, wset unix.FdSet
	nfd        int
	watched    []reg
}

// newSelect is NewSelect.
func newSelect() (Selector, error) {
	w, err := newWaker()
	if err != nil {
		return nil, err
	}
	if w.fd >= fdSetSize {
		w.close()
		return nil, fmt.Errorf("multiplex: select: its eventfd got fd %d: %w", w.fd, ErrFDSetSize)
	}
	s := &selectSelector{w: w}
	s.t.init(Select, w)
	s.t.dirty = true
	return s, nil
}

func (s *selectSelector) Backend() Backend { return Select }

func checkSetSize(op string, fd int) error {
	if fd >= fdSetSize {
		return fmt.Errorf("multiplex: select: %s fd %d: fd ≥ FD_SETSIZE (%d) cannot be watched by select(2); use poll or epoll: %w",
			op, fd, fdSetSize, ErrFDSetSize)
	}
	return nil
}

func (s *selectSelector) Add(fd int, events Events, tag uint64) error {
	if err := checkArgs(Select, "add", fd, events, tag); err != nil {
		return err
	}
	if err := checkSetSize("add", fd); err != nil {
		return err
	}
	if err := checkPollable(Select, "add", fd); err != nil {
		return err
	}
	return s.t.add(fd, events, tag)
}

func (s *selectSelector) Modify(fd int, events Events, tag uint64) error {
	if err := checkArgs(Select, "modify", fd, events, tag); err != nil {
		return err
	}
	if err := checkSetSize("modify", fd); err != nil {
		return err
	}
	return s.t.modify(fd, events, tag)
}

func (s *selectSelector) Remove(fd int) error {
	if fd < 0 {
		return regError(Select, "remove", fd, unix.EBADF)
	}
	return s.t.remove(fd)
}

func (s *selectSelector) rebuild(regs []reg) {
	s.rset.Zero()
	s.wset.Zero()
	s.rset.Set(s.w.fd)
	s.nfd = s.w.fd + 1
	s.watched = s.watched[:0]
	for _, r := range regs {
		if r.events&(Readable|Writable) == 0 {
			continue
		}
		if r.events&Readable != 0 {
			s.rset.Set(r.fd)
		}
		if r.events&Writable != 0 {
			s.wset.Set(r.fd)
		}
		s.nfd = max(s.nfd, r.fd+1)
		s.watched = append(s.watched, r)
	}
}

func (s *selectSelector) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, regError(Select, "wait", -1, os.NewSyscallError("select", unix.EINVAL))
	}
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	deadline := deadlineOf(timeout)
	for {
		if s.t.enter(s) {
			return 0, errClosed(Select, "wait")
		}
		r, w := s.rset, s.wset // select(2) overwrites its sets
		var tv unix.Timeval
		tvp := &tv
		if d := remaining(timeout, deadline); d >= 0 {
			// Round up to whole microseconds, so Wait never returns early.
			tv = unix.NsecToTimeval(int64((d + time.Microsecond - 1) / time.Microsecond * time.Microsecond))
		} else {
			tvp = nil
		}
		n, err := unix.Select(s.nfd, &r, &w, nil, tvp)
		if s.t.leave() {
			return 0, errClosed(Select, "wait")
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EBADF && s.t.isDirty() {
			// An fd was removed and closed between the snapshot and the
			// call (select(2) checks every fd in the sets on entry):
			// rebuild without it. Only an fd closed while still
			// registered fails the Wait.
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("select", err)
		}
		woken := false
		j := 0
		if n > 0 {
			if r.IsSet(s.w.fd) {
				woken = s.w.drain()
				n--
			}
			for _, reg := range s.watched {
				if n <= 0 || j == len(events) {
					break
				}
				var e Events
				if reg.events&Readable != 0 && r.IsSet(reg.fd) {
					e |= Readable
					n--
				}
				if reg.events&Writable != 0 && w.IsSet(reg.fd) {
					e |= Writable
					n--
				}
				if e != 0 {
					events[j] = Event{Tag: reg.tag, Events: e}
					j++
				}
			}
		}
		if j > 0 || woken || remaining(timeout, deadline) == 0 {
			return j, nil
		}
	}
}

func (s *selectSelector) Wake() error {
	s.t.mu.Lock()
	closed := s.t.closed
	s.t.mu.Unlock()
	if closed {
		return errClosed(Select, "wake")
	}
	return s.w.wake()
}

func (s *selectSelector) Close() error {
	if !s.t.close() {
		return errClosed(Select, "close")
	}
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	return s.w.close()
}
