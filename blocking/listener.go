package blocking

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

// Listener accepts connections with a blocking accept(2), which a deadline
// and Close reach as they reach the Conns' calls. It satisfies
// net.Listener.
type Listener struct {
	fd *iofd.FD
}

// listenOpener is how ListenConfig makes a Listener of a listening socket.
func listenOpener() iofd.Opener[*Listener] {
	return func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		c, f, err := openConn(sysfd, nil)
		if err != nil {
			return nil, nil, err
		}
		return &Listener{fd: c.fd}, f, nil
	}
}

// open makes an accepted socket a Conn.
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return openConn(sysfd, remote)
}
