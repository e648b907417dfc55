package blocking

import (
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
)

// Conn drives a descriptor with blocking read(2)/write(2) (recvfrom(2) and
// sendto(2) on sockets). It satisfies iomodel.Conn, and net.Conn on
// sockets. All methods are safe for concurrent use.
type Conn struct {
	fd     *iofd.FD
	timeos timeouts
}

var (
	_ iomodel.Conn = (*Conn)(nil)
	_ net.Conn     = (*Conn)(nil)
)

// New makes a Conn of fd and puts fd in blocking mode. On success the Conn
// owns fd and Close closes it; on error the caller still owns it. fd may be
// a socket of any type, a pipe, a FIFO, a tty or a regular file.
func New(fd int) (*Conn, error) {
	c := &Conn{}
	f, err := iofd.New(fd, iofd.Config{Model: "blocking", Mode: iofd.Blocking, Hooks: evictor{}, Preparer: &c.timeos})
	if err != nil {
		return nil, err
	}
	c.fd = f
	return c, nil
}

// Send writes all of p (one message on a datagram or seqpacket socket),
// sleeping in the kernel while the buffer is full.
func (c *Conn) Send(p []byte) (int, error) { return c.fd.Send(p, &c.timeos) }

// Recv reads at least one byte into p, sleeping in the kernel until there
// is one; it returns io.EOF once the peer has shut down a stream.
func (c *Conn) Recv(p []byte) (int, error) { return c.fd.Recv(p, &c.timeos) }

// Read is Recv, for io.Reader and net.Conn.
func (c *Conn) Read(p []byte) (int, error) { return c.fd.Recv(p, &c.timeos) }

// Write is Send, for io.Writer and net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.fd.Send(p, &c.timeos) }

// Close closes the Conn. A call sleeping on a socket is woken by
// shutdown(2) and returns an error wrapping net.ErrClosed; the descriptor
// is closed once no call uses it.
func (c *Conn) Close() error { return c.fd.Close() }

// LocalAddr is the socket's own address; nil if fd is not a socket.
func (c *Conn) LocalAddr() net.Addr { return c.fd.LocalAddr() }

// RemoteAddr is the peer's address; nil if fd is not a connected socket.
func (c *Conn) RemoteAddr() net.Addr { return c.fd.RemoteAddr() }

// SetDeadline sets the read and write deadlines. See SetReadDeadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.timeos.supported(c.fd); err != nil {
		return err
	}
	return c.fd.SetDeadline(t)
}

// SetReadDeadline sets the time after which Recv fails with an error
// wrapping os.ErrDeadlineExceeded. It is armed as SO_RCVTIMEO when a Recv
// starts, so it does not reach a Recv already sleeping. On a descriptor
// that is not a socket it returns an error wrapping os.ErrNoDeadline.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if err := c.timeos.supported(c.fd); err != nil {
		return err
	}
	return c.fd.SetReadDeadline(t)
}

// SetWriteDeadline is SetReadDeadline for Send, through SO_SNDTIMEO.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if err := c.timeos.supported(c.fd); err != nil {
		return err
	}
	return c.fd.SetWriteDeadline(t)
}

// Stats reports the Conn's counters. In this model WouldBlock counts only
// socket timeouts, and Waits stays 0: the waiting happens in the kernel.
func (c *Conn) Stats() iomodel.Stats { return c.fd.Stats() }

// CloseWrite shuts down the sending side of a socket (shutdown(2)): the
// peer reads io.EOF after what was sent, and Recv still works. It is what
// net.TCPConn's CloseWrite does, for half-closing protocols.
func (c *Conn) CloseWrite() error { return c.fd.CloseWrite() }
