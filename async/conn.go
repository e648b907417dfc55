package async

import (
	"errors"
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Conn is a descriptor whose I/O the kernel performs: a Send or Recv that
// cannot finish at once is an io_uring request, and the call sleeps until
// its completion has been reaped (on a socket, a call the kernel can finish
// at once is done on the caller's thread first; see the package doc,
// "Speculation"). It satisfies iomodel.Conn, and net.Conn on sockets. All
// methods are safe for concurrent use.
type Conn struct {
	fd   *iofd.FD
	life lifecycle
}

// New makes a Conn of sysfd: a socket (stream, datagram or seqpacket), a
// pipe, or anything read(2) and write(2) work on. The descriptor is put in
// blocking mode (io_uring completes an O_NONBLOCK descriptor's operation with
// EAGAIN instead of waiting for it). On success the Conn owns sysfd; on error
// the caller still does. When io_uring is unavailable, the error wraps
// errors.ErrUnsupported and says why.
//
// On a regular file, Recv and Send read and write at the file position, which
// they advance as read(2) and write(2) do (IORING_FEAT_RW_CUR_POS).
func New(sysfd int, opts ...Option) (*Conn, error) {
	return newWithOptions(sysfd, opts)
}

// RingStats returns the counters of the ring this Conn uses, shared with
// every other Conn on it: io_uring_enter calls and operations per enter.
func (c *Conn) RingStats() RingStats { return c.life.ringStats() }

// Listener accepts connections. It satisfies net.Listener; the Conns it
// returns use the listener's ring and options. Accept takes a connection
// already waiting with accept4(2) on the caller's thread, as package net
// does, and otherwise waits for one with IORING_OP_POLL_ADD on the ring;
// with WithRingOnly every Accept is an IORING_OP_ACCEPT.
type Listener struct {
	fd   *iofd.FD
	life lifecycle
	opts options // of the accepted Conns: the listener's, with its ring
}

// RingStats returns the counters of the ring the Listener and its Conns use.
func (l *Listener) RingStats() RingStats { return l.life.ringStats() }

// ErrCanceled is what Op.Wait returns (wrapped in a *net.OpError) for an
// operation Cancel stopped before it moved any byte.
var ErrCanceled = errors.New("operation canceled")

func dialOpener(o options) iofd.Opener[*Conn] {
	return func(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) { return openConn(sysfd, remote, o) }
}

func listenOpener(o options) iofd.Opener[*Listener] {
	return func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) { return openListener(sysfd, o) }
}

// open makes an accepted connection a Conn on the listener's ring, with its
// options (iofd.Opener).
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	if remote == nil {
		remote = l.life.peer(sysfd)
	}
	return openConn(sysfd, remote, l.opts)
}
