package blocking

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Listener accepts connections with a blocking accept(2). It satisfies
// net.Listener.
type Listener struct {
	fd *iofd.FD
}

var _ net.Listener = (*Listener)(nil)

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix" or
// "unixpacket"), as net.Listen does.
func Listen(network, address string) (*Listener, error) {
	return iofd.Listen(model, network, address, func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		c, f, err := open(sysfd, nil)
		if err != nil {
			return nil, nil, err
		}
		return &Listener{fd: c.fd}, f, nil
	})
}

// open makes an accepted socket a Conn.
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return open(sysfd, remote)
}
