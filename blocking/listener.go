package blocking

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Dial connects to address on the named network ("tcp", "tcp4", "tcp6",
// "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket"), as net.Dial
// does, with a blocking connect(2).
func Dial(network, address string) (*Conn, error) {
	return iofd.Dial(network, address, false, open)
}

func open(sysfd int) (*Conn, *iofd.FD, iofd.Waiter, error) {
	c, err := New(sysfd)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, c.fd, &c.timeos, nil
}

// Listener accepts connections with a blocking accept(2). It satisfies
// net.Listener.
type Listener struct {
	fd *iofd.FD
}

var _ net.Listener = (*Listener)(nil)

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix" or
// "unixpacket"), as net.Listen does.
func Listen(network, address string) (*Listener, error) {
	return iofd.Listen(network, address, false, func(sysfd int) (*Listener, *iofd.FD, iofd.Waiter, error) {
		f, err := iofd.New(sysfd, iofd.Config{Model: "blocking", Mode: iofd.Blocking, Hooks: evictor{}})
		if err != nil {
			return nil, nil, nil, err
		}
		return &Listener{fd: f}, f, nil, nil
	})
}

// AcceptConn waits for the next connection and returns it as a *Conn.
func (l *Listener) AcceptConn() (*Conn, error) { return iofd.Accept(l.fd, nil, 0, open) }

// Accept waits for the next connection; it is AcceptConn for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops listening; a pending Accept returns an error wrapping
// net.ErrClosed.
func (l *Listener) Close() error { return l.fd.Close() }

// Addr is the listener's address.
func (l *Listener) Addr() net.Addr { return l.fd.LocalAddr() }
