package nonblock

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Dial connects to address on the named network, as net.Dial does: a
// non-blocking connect(2), then asking again by the default Policy until
// the socket is connected (SO_ERROR and getpeername(2)).
func Dial(network, address string) (*Conn, error) {
	return iofd.Dial(network, address, true, open)
}

func open(sysfd int) (*Conn, *iofd.FD, iofd.Waiter, error) {
	c, err := New(sysfd)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, c.fd, &c.policy, nil
}

// Listener accepts connections with non-blocking accept4(2), waiting by a
// Policy between attempts. It satisfies net.Listener.
type Listener struct {
	fd     *iofd.FD
	policy Policy
}

var _ net.Listener = (*Listener)(nil)

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix" or
// "unixpacket"), as net.Listen does.
func Listen(network, address string) (*Listener, error) {
	return iofd.Listen(network, address, true, func(sysfd int) (*Listener, *iofd.FD, iofd.Waiter, error) {
		f, err := iofd.New(sysfd, iofd.Config{Model: "nonblock", Mode: iofd.Nonblocking})
		if err != nil {
			return nil, nil, nil, err
		}
		l := &Listener{fd: f, policy: DefaultPolicy}
		return l, f, &l.policy, nil
	})
}

// TryAccept makes one attempt to accept: it returns at once, with an error
// wrapping ErrWouldBlock if no connection was waiting.
func (l *Listener) TryAccept() (*Conn, error) {
	return iofd.Accept(l.fd, nil, unix.SOCK_NONBLOCK, open)
}

// AcceptConn waits for the next connection and returns it as a *Conn.
func (l *Listener) AcceptConn() (*Conn, error) {
	return iofd.Accept(l.fd, &l.policy, unix.SOCK_NONBLOCK, open)
}

// Accept waits for the next connection; it is AcceptConn for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops listening; a waiting Accept returns an error wrapping
// net.ErrClosed.
func (l *Listener) Close() error { return l.fd.Close() }

// Addr is the listener's address.
func (l *Listener) Addr() net.Addr { return l.fd.LocalAddr() }
