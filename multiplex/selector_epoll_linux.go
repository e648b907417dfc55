package multiplex

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// epollSelector keeps its interest list in the kernel (epoll(7)), so Add,
// Modify and Remove are one epoll_ctl each and Wait costs O(ready fds).
type epollSelector struct {
	epfd int
	w    *waker

	// mu is read-held by every epoll_ctl and write-held by Close, so that no
	// epoll_ctl can reach a closed (and possibly reused) epfd number.
	mu     sync.RWMutex
	closed atomic.Bool

	waitMu sync.Mutex // serializes Wait; Close takes it to wait Wait out
	buf    []unix.EpollEvent
}

// newEpoll is NewEpoll.
func newEpoll() (Selector, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	w, err := newWaker()
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	s := &epollSelector{epfd: epfd, w: w}
	// The eventfd is level-triggered: it stays reported until drained.
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setTag(&ev, WakeTag)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, w.fd, &ev); err != nil {
		unix.Close(epfd)
		w.close()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return s, nil
}

// setTag and getTag keep the 64-bit tag in epoll_event's data union. They
// only have to agree with each other, so byte order does not matter.
func setTag(ev *unix.EpollEvent, tag uint64) {
	ev.Fd = int32(uint32(tag))
	ev.Pad = int32(uint32(tag >> 32))
}

func getTag(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// epollMask turns Events into epoll_ctl's mask. Readable includes EPOLLRDHUP
// so a peer's shutdown is told apart from data (epoll_ctl(2)).
func epollMask(e Events) uint32 {
	var m uint32
	if e&Readable != 0 {
		m |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if e&Writable != 0 {
		m |= unix.EPOLLOUT
	}
	if e&EdgeTriggered != 0 {
		m |= unix.EPOLLET
	}
	return m
}

// epollEvents turns what epoll_wait reported into Events.
func epollEvents(m uint32) Events {
	var e Events
	if m&(unix.EPOLLIN|unix.EPOLLPRI) != 0 {
		e |= Readable
	}
	if m&unix.EPOLLOUT != 0 {
		e |= Writable
	}
	if m&unix.EPOLLRDHUP != 0 {
		e |= Readable | HangUp
	}
	if m&unix.EPOLLHUP != 0 {
		e |= Readable | Writable | HangUp
	}
	if m&unix.EPOLLERR != 0 {
		e |= Readable | Writable | Error
	}
	return e
}

func (s *epollSelector) Backend() Backend { return Epoll }

func (s *epollSelector) ctl(op string, cop, fd int, events Events, tag uint64) error {
	if err := checkArgs(Epoll, op, fd, events, tag); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return errClosed(Epoll, op)
	}
	ev := unix.EpollEvent{Events: epollMask(events)}
	setTag(&ev, tag)
	err := unix.EpollCtl(s.epfd, cop, fd, &ev)
	if err == nil {
		return nil
	}
	if err == unix.EPERM {
		return notPollable(Epoll, op, fd, fileKind(fd), os.NewSyscallError("epoll_ctl", err))
	}
	return regError(Epoll, op, fd, os.NewSyscallError("epoll_ctl", err))
}

func (s *epollSelector) Add(fd int, events Events, tag uint64) error {
	return s.ctl("add", unix.EPOLL_CTL_ADD, fd, events, tag)
}

func (s *epollSelector) Modify(fd int, events Events, tag uint64) error {
	return s.ctl("modify", unix.EPOLL_CTL_MOD, fd, events, tag)
}

func (s *epollSelector) Remove(fd int) error {
	// The event argument is ignored for EPOLL_CTL_DEL, but kernels before
	// 2.6.9 wanted it non-nil (epoll_ctl(2), BUGS).
	return s.ctl("remove", unix.EPOLL_CTL_DEL, fd, 0, 0)
}

func (s *epollSelector) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, regError(Epoll, "wait", s.epfd, os.NewSyscallError("epoll_wait", unix.EINVAL))
	}
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	if cap(s.buf) < len(events) {
		s.buf = make([]unix.EpollEvent, len(events))
	}
	buf := s.buf[:len(events)]
	deadline := deadlineOf(timeout)
	for {
		if s.closed.Load() {
			return 0, errClosed(Epoll, "wait")
		}
		n, err := unix.EpollWait(s.epfd, buf, millis(remaining(timeout, deadline)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		woken := false
		j := 0
		for i := range n {
			tag := getTag(&buf[i])
			if tag == WakeTag {
				woken = s.w.drain() || s.closed.Load()
				continue
			}
			events[j] = Event{Tag: tag, Events: epollEvents(buf[i].Events)}
			j++
		}
		if woken && s.closed.Load() {
			return 0, errClosed(Epoll, "wait")
		}
		if j > 0 || woken || n == 0 {
			return j, nil
		}
		// Only the eventfd, and not for Wake: a stale kick. Wait again.
	}
}

func (s *epollSelector) Wake() error {
	if s.closed.Load() {
		return errClosed(Epoll, "wake")
	}
	return s.w.wake()
}

func (s *epollSelector) Close() error {
	if s.closed.Swap(true) {
		return errClosed(Epoll, "close")
	}
	s.w.wake()
	s.waitMu.Lock() // a Wait in progress sees closed and returns
	defer s.waitMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	err1 := unix.Close(s.epfd)
	err2 := s.w.close()
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	return err2
}

// await sleeps in poll(2) until the epoll descriptor is readable, that is,
// until it has events to report, and consumes none of them: whoever calls
// Wait first takes them (see shard.run and shard.pollNow). An epoll
// descriptor is itself pollable (epoll(7)), readable while its ready list
// is not empty.
func (s *epollSelector) await() error {
	if s.closed.Load() {
		return errClosed(Epoll, "wait")
	}
	pfd := []unix.PollFd{{Fd: int32(s.epfd), Events: unix.POLLIN}}
	// EINTR too returns nil: the caller's Wait(0) then finds what there
	// is, perhaps nothing, and comes back.
	if _, err := unix.Poll(pfd, -1); err != nil && err != unix.EINTR {
		return os.NewSyscallError("poll", err)
	}
	return nil
}
