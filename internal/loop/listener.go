package loop

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// Listener is an Engine's own duplicate of a listening stream socket
// (F_DUPFD_CLOEXEC of the net.Listener's descriptor): the Engine accepts
// on it and closes it at Shutdown, while the caller's listener stays the
// caller's to close.
type Listener struct {
	fd       int
	reserve  int  // a spare descriptor, closed to make room when out of them
	nonblock bool // the socket is O_NONBLOCK: accept4 never waits
	tcp      bool // AF_INET or AF_INET6: accepted sockets get net's defaults
	addr     net.Addr
	counters *Counters
	// lastLocal is the local address of the last connection accepted on
	// a wildcard address, shared with the next ones that have it too;
	// lastLocalAP is the same as a value, to compare without allocating.
	lastLocal   net.Addr
	lastLocalAP netip.AddrPort
	// sa is the owner's room for the addresses accept4(2),
	// getpeername(2) and getsockname(2) fill in, so that accepting
	// allocates only the addresses a connection keeps.
	sa sockaddr
	// Tag is the owner's own name for the Listener.
	Tag uint64

	once   sync.Once
	failed chan struct{} // closed by Fail
	err    error
}

// ErrNoDescriptors is wrapped by Accept's error when the process is out of
// descriptors and no spare is left to take the connection off the queue:
// stop accepting for a moment (the caller's back-off) instead of spinning.
var ErrNoDescriptors = errors.New("out of file descriptors (EMFILE/ENFILE) and no spare left: accepting paused")

// Fd is the listening socket's descriptor, for the owner's mechanism.
func (l *Listener) Fd() int { return l.fd }

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.addr }

// Fail ends Serve for this Listener with err (wrapped with the model's
// Serve by the caller); the owner stops watching l and closes it.
func (l *Listener) Fail(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.failed)
	})
}
