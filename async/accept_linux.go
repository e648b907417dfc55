package async

import (
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// acceptor is a speculating Listener's iofd.Completer: its lifecycle's,
// except for Accept. The listening socket is O_NONBLOCK and every Accept
// first calls accept4(2) on the caller's thread; on EAGAIN the loop waits
// for readability with IORING_OP_POLL_ADD on the ring and tries again.
//
// A connection already waiting in the backlog is taken at once, as
// package net takes it. With IORING_OP_ACCEPT for every Accept, each one
// was a round trip through the ring's owner, and with 5000 clients
// connecting at once the last were accepted seconds after they connected
// (the design note, "Accept").
type acceptor struct{ *lifecycle }

// Direct: an Accept always tries accept4(2) first.
func (a acceptor) Direct(fd *iofd.FD, h *iofd.Half, op iofd.OpKind, attempt int) bool {
	if op == iofd.OpAccept {
		a.dir[h.Dir()].tried = true
		return true
	}
	return a.lifecycle.Direct(fd, h, op, attempt)
}

// Complete answers ENOSYS for an Accept, so that the loop accepts itself
// and waits with POLL_ADD (an IORING_OP_ACCEPT on an O_NONBLOCK socket
// would complete at once with EAGAIN).
func (a acceptor) Complete(fd *iofd.FD, h *iofd.Half, op *iofd.Op) (int, error) {
	if op.Kind == iofd.OpAccept {
		return 0, unix.ENOSYS
	}
	return a.lifecycle.Complete(fd, h, op)
}

var _ iofd.Completer = acceptor{}
