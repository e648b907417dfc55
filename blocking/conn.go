package blocking

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
)

const model = "blocking"

// Conn drives a descriptor with blocking read(2)/write(2) (recvfrom(2) and
// sendto(2) on sockets). It satisfies iomodel.Conn, and net.Conn on
// sockets. All methods are safe for concurrent use.
type Conn struct {
	fd *iofd.FD
	k  sleeper
}

// New makes a Conn of fd and puts fd in blocking mode. On success the Conn
// owns fd and Close closes it; on error the caller still owns it. fd may be
// a socket of any type, a pipe, a FIFO, a tty or a regular file. Its socket
// options are left as they are (Dial and Accept set net's defaults).
func New(fd int) (*Conn, error) {
	c, _, err := openConn(fd, nil)
	return c, err
}

func openConn(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	c := new(Conn)
	f, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Blocking, Driver: &c.k, Remote: remote})
	if err != nil {
		return nil, nil, err
	}
	c.fd = f
	return c, f, nil
}

// dialOpener is how Dialer makes a Conn of a fresh socket; the connect
// sleeps in the kernel (in poll(2), for writability), where a deadline or
// Close reaches it.
func dialOpener() iofd.Opener[*Conn] { return openConn }
