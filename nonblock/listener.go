package nonblock

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Listener accepts connections with non-blocking accept4(2), waiting by a
// Policy between attempts. It satisfies net.Listener.
type Listener struct {
	fd   *iofd.FD
	opts options
}

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix" or
// "unixpacket"), as net.Listen does. The Listener and the Conns it accepts
// wait by the Policy of the options.
func Listen(network, address string, opts ...Option) (*Listener, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return iofd.Listen(model, network, address, func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		c, f, err := open(sysfd, nil, o)
		if err != nil {
			return nil, nil, err
		}
		return &Listener{fd: c.fd, opts: o}, f, nil
	})
}

// open makes an accepted socket a Conn with the Listener's options.
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return open(sysfd, remote, l.opts)
}

// TryAccept makes one attempt to accept: it returns at once, with an error
// wrapping ErrWouldBlock if no connection was waiting.
func (l *Listener) TryAccept() (*Conn, error) { return iofd.TryAccept(l.fd, l.open) }
