package async

import (
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// openConn is New, told the peer's address when it is known (an accepted
// socket's). The descriptor is checked before the ring is taken: starting
// the default ring opens descriptors, which could take the very number of a
// closed sysfd and make it look open.
func openConn(sysfd int, remote net.Addr, o options) (*Conn, *iofd.FD, error) {
	c := new(Conn)
	fd, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Completion, Hooks: &c.life, Waiter: &c.life, Remote: remote})
	if err != nil {
		return nil, nil, err
	}
	r, err := acquire(o)
	if err != nil {
		return nil, nil, iofd.NewError(model, sysfd, err) // fd is dropped unclosed: sysfd is still the caller's
	}
	c.fd, c.life.ring = fd, r
	c.life.speculate = fd.Kind.IsSocket() && !o.ringOnly
	return c, fd, nil
}

// openListener makes a listening socket a Listener on the ring o names;
// the Conns it accepts get o too, with the same ring.
func openListener(sysfd int, o options) (*Listener, *iofd.FD, error) {
	l := new(Listener)
	fd, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Completion, Hooks: &l.life, Waiter: &l.life})
	if err != nil {
		return nil, nil, err
	}
	if !o.ringOnly {
		// Accept speculates: its accept4(2) must not sleep (iofd.New
		// made the socket blocking, for the ring's operations). When
		// nothing waits in the backlog, the loop waits with POLL_ADD on
		// the ring: Complete answers ENOSYS for OpAccept. With 5000
		// clients connecting at once, an IORING_OP_ACCEPT per Accept left
		// the last accepted seconds late (README.md, "Accept").
		if err := unix.SetNonblock(sysfd, true); err != nil {
			return nil, nil, iofd.NewError(model, sysfd, os.NewSyscallError("fcntl", err))
		}
	}
	r, err := acquire(o)
	if err != nil {
		return nil, nil, iofd.NewError(model, sysfd, err)
	}
	l.fd, l.life.ring = fd, r
	l.life.speculate = !o.ringOnly
	l.opts = o
	l.opts.ring = &Ring{r: r}
	return l, fd, nil
}

// acquire takes a reference on the ring o names, or on the default one.
func acquire(o options) (*uring.Ring, error) {
	if o.ring != nil {
		if !o.ring.r.Acquire() {
			return nil, uring.ErrRingClosed
		}
		return o.ring.r, nil
	}
	return uring.Default()
}

func newRing(size int) (*Ring, error) {
	c := uring.Config{} // the defaults
	if size > 0 {
		c = uring.Config{CQEntries: uint32(size), Entries: uint32(min(max(size/8, 8), 4096))}
	}
	r, err := uring.New(c)
	if err != nil {
		return nil, err
	}
	return &Ring{r: r}, nil
}

func (r *Ring) release() { r.r.Release() }

func ringStats(r *uring.Ring) RingStats {
	s := r.Stats()
	return RingStats{Enters: s.Enters, Submitted: s.Submitted, Ops: s.Ops, Wakeups: s.Wakeups,
		Active: s.Active, MaxInFlight: s.MaxInFlight, Size: s.CQEntries,
		Backlog: s.Backlog, MaxBacklog: s.MaxBacklog, MaxBacklogWait: s.MaxBacklogWait, Overflows: s.Overflows}
}
