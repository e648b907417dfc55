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
	f, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Blocking, Hooks: evictor{}, Remote: remote})
	if err != nil {
		return nil, nil, err
	}
	return &Conn{fd: f}, f, nil
}

// dialOpener is how Dialer makes a Conn of a fresh socket; the connect
// sleeps in the kernel (in poll(2), for writability), where a deadline or
// Close reaches it.
func dialOpener() iofd.Opener[*Conn] { return openConn }

// evictor wakes calls sleeping on a socket when the Conn is closed:
// shutdown(2) makes a blocked recv return 0, a blocked send EPIPE and a
// blocked accept EINVAL, and the loops then see the Conn is closed.
type evictor struct{}

func (evictor) Evict(fd *iofd.FD) { fd.ShutdownBusy() }
func (evictor) Destroy(*iofd.FD)  {}
