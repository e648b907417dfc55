package multiplex

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestStaleTag reuses a slot for a new fd with the same number and delivers
// an event carrying the old registration's tag, as epoll_wait can when the
// event was queued before the old fd was removed: it must be dropped.
func TestStaleTag(t *testing.T) {
	onEachBackend(t, func(t *testing.T, p *Poller) {
		old, oldFD := connOn(t, p)
		oldTag := old.pd.h.tag()
		old.Close()
		c, fd := connOn(t, p)
		defer c.Close()
		if fd != oldFD {
			t.Logf("fd number not reused (%d, then %d); the slot is", oldFD, fd)
		}
		if c.pd.h.slot != uint32(oldTag) || c.pd.h.tag() == oldTag {
			t.Fatalf("new registration %+v: want slot %d reused with a new generation", c.pd.h, uint32(oldTag))
		}
		before := p.Stats().Stale
		p.shards[0].dispatch([]Event{{Tag: oldTag, Events: Readable | Writable}})
		if got := p.Stats().Stale - before; got != 1 {
			t.Fatalf("stale event: %d dropped, want 1", got)
		}
		p.shards[0].dispatch([]Event{{Tag: c.pd.h.tag(), Events: Readable}})
		if got := p.Stats().Stale - before; got != 1 {
			t.Fatalf("current event dropped as stale")
		}
	})
}

// onEachBackend runs f as a subtest per backend (epoll, poll, select),
// each with a Poller of its own, closed when the subtest ends.
func onEachBackend(t *testing.T, f func(t *testing.T, p *Poller)) {
	for _, b := range []Backend{Epoll, Poll, Select} {
		t.Run(b.String(), func(t *testing.T) {
			p, err := NewPoller(WithBackend(b))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			f(t, p)
		})
	}
}

// connOn makes a Conn on p from one end of a new stream socketpair and
// returns it with its descriptor's number; the test closes the Conn, and
// the peer closes when the test ends.
func connOn(t *testing.T, p *Poller) (*Conn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	c, err := New(fds[0], WithPoller(p))
	if err != nil {
		unix.Close(fds[0])
		t.Fatal(err)
	}
	return c, fds[0]
}

// TestCloseOnExec checks every fd a selector makes: an fd of ours must not
// leak into an exec'd child.
func TestCloseOnExec(t *testing.T) {
	for _, open := range []func() (Selector, error){NewEpoll, NewPoll, NewSelect} {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		fds := []int{}
		switch s := s.(type) {
		case *epollSelector:
			fds = append(fds, s.epfd, s.w.fd)
		case *pollSelector:
			fds = append(fds, s.w.fd)
		case *selectSelector:
			fds = append(fds, s.w.fd)
		}
		for _, fd := range fds {
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil {
				t.Fatal(err)
			}
			if flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("%v: fd %d is not close-on-exec", s.Backend(), fd)
			}
		}
		fl, err := unix.FcntlInt(uintptr(fds[len(fds)-1]), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_NONBLOCK == 0 {
			t.Errorf("%v: eventfd not non-blocking (flags %#x, %v)", s.Backend(), fl, err)
		}
		s.Close()
	}
}
