package nonblock

import (
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
)

// ErrWouldBlock is what TrySend and TryRecv's errors wrap when the kernel
// had no data or no room: errors.Is(err, nonblock.ErrWouldBlock).
const ErrWouldBlock = syscall.EAGAIN

// Conn drives a descriptor with non-blocking system calls. It satisfies
// iomodel.Conn, and net.Conn on sockets. All methods are safe for
// concurrent use.
type Conn struct {
	fd     *iofd.FD
	policy Policy
}

var (
	_ iomodel.Conn = (*Conn)(nil)
	_ net.Conn     = (*Conn)(nil)
)

// Option configures New.
type Option func(*Conn) error

// WithPolicy makes the Conn wait by p instead of DefaultPolicy.
func WithPolicy(p Policy) Option {
	return func(c *Conn) error {
		if p.Spins < 0 || p.Yields < 0 || p.MinSleep < 0 || p.MaxSleep < 0 {
			return fmt.Errorf("nonblock: invalid Policy %+v: counts and durations must not be negative", p)
		}
		c.policy = p
		return nil
	}
}

// New makes a Conn of fd: sockets will get MSG_DONTWAIT on each call,
// other descriptors O_NONBLOCK. On success the Conn owns fd and Close
// closes it; on error the caller still owns it.
func New(fd int, opts ...Option) (*Conn, error) {
	c := &Conn{policy: DefaultPolicy}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, iofd.NewError("nonblock", fd, err)
		}
	}
	f, err := iofd.New(fd, iofd.Config{Model: "nonblock", Mode: iofd.Nonblocking})
	if err != nil {
		return nil, err
	}
	c.fd = f
	return c, nil
}

// TrySend makes one attempt to write p: it returns at once, with the
// number of bytes the kernel took and, if it could not take all of them,
// an error wrapping ErrWouldBlock.
func (c *Conn) TrySend(p []byte) (int, error) { return c.fd.Send(p, nil) }

// TryRecv makes one attempt to read into p: it returns at once, with an
// error wrapping ErrWouldBlock if there was nothing to read.
func (c *Conn) TryRecv(p []byte) (int, error) { return c.fd.Recv(p, nil) }

// Send writes all of p (one message on a datagram or seqpacket socket),
// waiting by the Conn's Policy whenever the kernel has no room.
func (c *Conn) Send(p []byte) (int, error) { return c.fd.Send(p, &c.policy) }

// Recv reads at least one byte into p, waiting by the Conn's Policy while
// there is none; it returns io.EOF once the peer has shut down a stream.
func (c *Conn) Recv(p []byte) (int, error) { return c.fd.Recv(p, &c.policy) }

// Read is Recv, for io.Reader and net.Conn.
func (c *Conn) Read(p []byte) (int, error) { return c.fd.Recv(p, &c.policy) }

// Write is Send, for io.Writer and net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.fd.Send(p, &c.policy) }

// Close closes the Conn; waiting calls return an error wrapping
// net.ErrClosed at once, and the descriptor is closed once no call uses it.
func (c *Conn) Close() error { return c.fd.Close() }

// LocalAddr is the socket's own address; nil if fd is not a socket.
func (c *Conn) LocalAddr() net.Addr { return c.fd.LocalAddr() }

// RemoteAddr is the peer's address; nil if fd is not a connected socket.
func (c *Conn) RemoteAddr() net.Addr { return c.fd.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.fd.SetDeadline(t) }

// SetReadDeadline sets the time after which Recv fails with an error
// wrapping os.ErrDeadlineExceeded; it also applies to a Recv already
// waiting. The zero time means no deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.fd.SetReadDeadline(t) }

// SetWriteDeadline is SetReadDeadline for Send.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.fd.SetWriteDeadline(t) }

// Stats reports the Conn's counters: WouldBlock counts the "not yet"
// answers, Waits the back-off sleeps.
func (c *Conn) Stats() iomodel.Stats { return c.fd.Stats() }

// CloseWrite shuts down the sending side of a socket (shutdown(2)): the
// peer reads io.EOF after what was sent, and Recv still works. It is what
// net.TCPConn's CloseWrite does, for half-closing protocols.
func (c *Conn) CloseWrite() error { return c.fd.CloseWrite() }
