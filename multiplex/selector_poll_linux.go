package multiplex

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// pollRDHUP is POLLRDHUP (Linux 2.6.17, poll(2)), absent from x/sys/unix.
const pollRDHUP = 0x2000

// pollSelector passes its whole interest list to poll(2) on every Wait:
// O(watched fds) per call, no fd limit.
type pollSelector struct {
	t regTable
	w *waker

	// Owned by Wait (under waitMu): pfds[0] is the eventfd; pfds[i] for
	// i ≥ 1 is watched with tags[i].
	waitMu sync.Mutex
	pfds   []unix.PollFd
	tags   []uint64
}

// newPoll is NewPoll.
func newPoll() (Selector, error) {
	w, err := newWaker()
	if err != nil {
		return nil, err
	}
	s := &pollSelector{w: w}
	s.t.init(Poll, w)
	s.t.dirty = true
	return s, nil
}

func (s *pollSelector) Backend() Backend { return Poll }

func (s *pollSelector) Add(fd int, events Events, tag uint64) error {
	if err := checkArgs(Poll, "add", fd, events, tag); err != nil {
		return err
	}
	if err := checkPollable(Poll, "add", fd); err != nil {
		return err
	}
	return s.t.add(fd, events, tag)
}

func (s *pollSelector) Modify(fd int, events Events, tag uint64) error {
	if err := checkArgs(Poll, "modify", fd, events, tag); err != nil {
		return err
	}
	return s.t.modify(fd, events, tag)
}

func (s *pollSelector) Remove(fd int) error {
	if fd < 0 {
		return regError(Poll, "remove", fd, unix.EBADF)
	}
	return s.t.remove(fd)
}

func (s *pollSelector) rebuild(regs []reg) {
	s.pfds = append(s.pfds[:0], unix.PollFd{Fd: int32(s.w.fd), Events: unix.POLLIN})
	s.tags = append(s.tags[:0], WakeTag)
	for _, r := range regs {
		if r.events&(Readable|Writable) == 0 {
			continue // poll would still report POLLHUP/POLLERR for it
		}
		var m int16
		if r.events&Readable != 0 {
			m |= unix.POLLIN | pollRDHUP
		}
		if r.events&Writable != 0 {
			m |= unix.POLLOUT
		}
		s.pfds = append(s.pfds, unix.PollFd{Fd: int32(r.fd), Events: m})
		s.tags = append(s.tags, r.tag)
	}
}

// pollEvents turns revents into Events.
func pollEvents(m int16) Events {
	var e Events
	if m&(unix.POLLIN|unix.POLLPRI) != 0 {
		e |= Readable
	}
	if m&unix.POLLOUT != 0 {
		e |= Writable
	}
	if m&pollRDHUP != 0 {
		e |= Readable | HangUp
	}
	if m&unix.POLLHUP != 0 {
		e |= Readable | Writable | HangUp
	}
	if m&(unix.POLLERR|unix.POLLNVAL) != 0 {
		e |= Readable | Writable | Error
	}
	return e
}

func (s *pollSelector) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, regError(Poll, "wait", -1, os.NewSyscallError("poll", unix.EINVAL))
	}
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	deadline := deadlineOf(timeout)
	for {
		if s.t.enter(s) {
			return 0, errClosed(Poll, "wait")
		}
		var ts unix.Timespec
		tsp := &ts
		if d := remaining(timeout, deadline); d >= 0 {
			ts = unix.NsecToTimespec(int64(d))
		} else {
			tsp = nil
		}
		n, err := unix.Ppoll(s.pfds, tsp, nil)
		if s.t.leave() {
			return 0, errClosed(Poll, "wait")
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("poll", err)
		}
		woken := false
		j := 0
		if n > 0 {
			if s.pfds[0].Revents != 0 {
				woken = s.w.drain()
				n--
			}
			for i := 1; i < len(s.pfds) && n > 0 && j < len(events); i++ {
				if r := s.pfds[i].Revents; r != 0 {
					events[j] = Event{Tag: s.tags[i], Events: pollEvents(r)}
					j++
					n--
				}
			}
		}
		if j > 0 || woken || remaining(timeout, deadline) == 0 {
			return j, nil
		}
		// The table changed (or a stale kick): rebuild and wait again.
	}
}

func (s *pollSelector) Wake() error {
	s.t.mu.Lock()
	closed := s.t.closed
	s.t.mu.Unlock()
	if closed {
		return errClosed(Poll, "wake")
	}
	return s.w.wake()
}

func (s *pollSelector) Close() error {
	if !s.t.close() {
		return errClosed(Poll, "close")
	}
	s.waitMu.Lock() // a Wait in progress sees closed and returns
	defer s.waitMu.Unlock()
	return s.w.close()
}
