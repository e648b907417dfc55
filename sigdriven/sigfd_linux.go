package sigdriven

import (
	"fmt"
	"golang.org/x/sys/unix"
	"net"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
)

// sigFD is what a Conn and a Listener share: the descriptor's lifecycle
// (iofd.FD) and its registration for signals. It is the model's
// iofd.Driver.
type sigFD struct {
	fd     *iofd.FD
	reg    *registration
	rl, wl latch // in front of fd.Read and fd.Write
}

// check says which option cannot be met, or nil.
func (o options) check() error {
	if o.broadcast {
		return nil // WithSignal is ignored
	}
	if err := checkSignal(o.sig); err != nil {
		return fmt.Errorf("WithSignal(%d): %w", o.sig, err)
	}
	return nil
}

// open takes sysfd as an iofd.FD and arms it for signals, with options
// that makeOptions has checked. On error the caller still owns sysfd and
// nothing is left registered.
func (s *sigFD) open(sysfd int, o options, remote net.Addr) error {
	sig := o.sig
	if o.broadcast {
		sig = 0
	}
	fd, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Nonblocking, Driver: s, Remote: remote})
	if err != nil {
		return err
	}
	s.rl.h, s.wl.h = &fd.Read, &fd.Write
	reg, err := register(sysfd, sig, &s.rl, &s.wl)
	if err != nil {
		return iofd.NewError(model, sysfd, fmt.Errorf("%v: %w", fd.Kind, err))
	}
	s.fd, s.reg = fd, reg
	return nil
}

// Try is iofd.Driver: the system call, with MSG_DONTWAIT.
func (s *sigFD) Try(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) { return c.Sys(fd, h) }

// Wait is iofd.Driver: after EAGAIN, wait until the dispatcher (or the
// broadcaster) latches a wake-up for this direction, the deadline passes or
// moves, or Close is called: a few yields (iofd.ShouldYield), then sleep
// (see latch). A wake-up after which the call still found nothing to do is
// counted as spurious.
func (s *sigFD) Wait(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	attempt := c.Attempt
	l := &s.rl
	if h.Dir() == iofd.Write {
		l = &s.wl
	}
	if attempt == 0 {
		l.woke = false
	}
	if l.woke {
		// The last wake-up of this call found nothing to do.
		s.reg.spurious.Add(1)
		counters.spurious.Add(1)
		l.woke = false
	}
	if iofd.ShouldYield(attempt) {
		iofd.YieldThread() // see iofd.YieldSpins: often the answer is a moment away
		return c.Woken()
	}
	if h.Dir() == iofd.Write && fd.Kind == iofd.Datagram && fd.Family == unix.AF_UNIX {
		// An AF_UNIX datagram send fails with EAGAIN when the receiver's
		// queue is full, and no signal comes when it drains: the kernel
		// signals POLL_OUT for the sender's own buffer (sk_wake_async),
		// which had room all along. Look again after a pause that grows
		// from 1 to 8 ms; Close and deadlines still end it at once.
		h.Wait(time.Millisecond << min(attempt, 3))
		return c.Woken()
	}
	l.wait()
	l.woke = true
	return c.Woken()
}

// Evict is iofd.Driver: nothing sleeps in the kernel, and iofd has woken
// every waiter already.
func (s *sigFD) Evict(*iofd.FD, *iofd.Half) {}

// Destroy is iofd.Driver: after the last call, before close(2), the
// descriptor is disarmed (O_ASYNC off, no signal, no owner) and retired
// from the dispatcher, so that its number, once reused, is not mistaken
// for it.
func (s *sigFD) Destroy(*iofd.FD) { s.reg.unregister() }
