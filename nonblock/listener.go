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

// listenOpener is how ListenConfig makes a Listener of a listening
// socket: it and the Conns it accepts wait by the options' Policy.
func listenOpener(o options) iofd.Opener[*Listener] {
	return func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		c, f, err := openConn(sysfd, nil, o)
		if err != nil {
			return nil, nil, err
		}
		return &Listener{fd: c.fd, opts: o}, f, nil
	}
}

// open makes an accepted socket a Conn with the Listener's options.
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return openConn(sysfd, remote, l.opts)
}

// TryAccept makes one attempt to accept: it returns at once, with an error
// wrapping ErrWouldBlock if no connection was waiting.
func (l *Listener) TryAccept() (*Conn, error) { return iofd.TryAccept(l.fd, l.open) }
