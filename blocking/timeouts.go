package blocking

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// timeouts turns the deadlines into the socket's SO_RCVTIMEO and
// SO_SNDTIMEO (socket(7)): a blocking recv or send that sleeps past the
// timeout returns EAGAIN. The socket option is relative, so it is armed
// from the deadline at the start of each call; with no deadline it is
// cleared once and then left alone, so a Conn without deadlines pays no
// system call for them.
type timeouts struct {
	armed [2]bool // the option is set; guarded by the direction's lock
}

func (to *timeouts) supported(fd *iofd.FD) error {
	if !fd.Kind.IsSocket() {
		return fmt.Errorf("blocking: set deadline on %s fd %d: %w (a blocking %s has no timeout option; use the nonblock or multiplex model)",
			fd.Kind, fd.Sysfd, os.ErrNoDeadline, fd.Kind)
	}
	return nil
}

// Prepare arms the socket timeout of h's direction from its deadline.
func (to *timeouts) Prepare(fd *iofd.FD, h *iofd.Half) error {
	dl := h.Deadline()
	if dl == 0 && !to.armed[h.Dir()] {
		return nil
	}
	opt := unix.SO_RCVTIMEO
	if h.Dir() == iofd.Write {
		opt = unix.SO_SNDTIMEO
	}
	var tv unix.Timeval
	if dl != 0 {
		left := time.Duration(dl - time.Now().UnixNano())
		if left <= 0 {
			return nil // the loop's deadline check fails the call
		}
		// Round up to the option's microseconds; 0 would mean "never".
		tv = unix.NsecToTimeval(int64(left + time.Microsecond - 1))
	}
	if err := unix.SetsockoptTimeval(fd.Sysfd, unix.SOL_SOCKET, opt, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	to.armed[h.Dir()] = dl != 0
	return nil
}

// Wait runs when a blocking socket call returned EAGAIN: its timeout ran
// out. If the deadline has passed, the loop's check reports it; if it was
// moved later meanwhile, the timeout is re-armed and the call sleeps again.
func (to *timeouts) Wait(fd *iofd.FD, h *iofd.Half, attempt int) error {
	if h.Deadline() == 0 && !to.armed[h.Dir()] {
		// Nothing of ours made the call time out: someone else set
		// O_NONBLOCK on the shared open file description.
		return fmt.Errorf("blocking: fd %d returned EAGAIN in blocking mode: %w (was O_NONBLOCK set on it from elsewhere?)", fd.Sysfd, unix.EAGAIN)
	}
	return to.Prepare(fd, h)
}

// evictor wakes calls sleeping on a socket when the Conn is closed:
// shutdown(2) makes a blocked recv return 0, a blocked send EPIPE and a
// blocked accept EINVAL, and the loops then see the Conn is closed.
//
// Only a direction with a call in flight is shut down. Shutting down an
// idle socket would change what the peer sees: close(2) of a TCP socket
// with unread data sends a reset (tcp(7)), but shutdown first sends an
// orderly FIN, and the peer would read io.EOF instead of ECONNRESET.
type evictor struct{}

func (evictor) Evict(fd *iofd.FD) {
	if !fd.Kind.IsSocket() {
		return
	}
	how := -1
	switch r, w := fd.Read.Busy(), fd.Write.Busy(); {
	case r && w:
		how = unix.SHUT_RDWR
	case r:
		how = unix.SHUT_RD
	case w:
		how = unix.SHUT_WR
	}
	if how >= 0 {
		unix.Shutdown(fd.Sysfd, how)
	}
}

func (evictor) Destroy(*iofd.FD) {}
