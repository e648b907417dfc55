// The façade methods, written by hand until the lead's generator writes
// this file: each a forward to the descriptor's *iofd.FD (c.pd.fd, l.pd.fd).
// Nothing else belongs here.

package multiplex

import (
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
)

// Recv reads into p: at least one byte, or io.EOF at the end of a stream.
func (c *Conn) Recv(p []byte) (int, error) { return c.pd.fd.Recv(p) }

// Send writes all of p on a stream, one message on a datagram socket.
func (c *Conn) Send(p []byte) (int, error) { return c.pd.fd.Send(p) }

// Read is Recv, for io.Reader and net.Conn.
func (c *Conn) Read(p []byte) (int, error) { return c.pd.fd.Recv(p) }

// Write is Send, for io.Writer and net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.pd.fd.Send(p) }

// Close unblocks every pending call (they fail with an error wrapping
// net.ErrClosed); the descriptor is closed once the last of them has
// returned. A second Close returns an error wrapping net.ErrClosed.
func (c *Conn) Close() error { return c.pd.fd.Close() }

// LocalAddr is the socket's address, recorded when it was made; nil for
// what is not a socket. It stays the same after Close.
func (c *Conn) LocalAddr() net.Addr { return c.pd.fd.LocalAddr() }

// RemoteAddr is the peer's address, recorded when the socket was connected
// or accepted; nil for what is not a connected socket. It stays the same
// after Close and after the peer has gone.
func (c *Conn) RemoteAddr() net.Addr { return c.pd.fd.RemoteAddr() }

// SetDeadline sets the read and write deadlines; a call already waiting
// applies the new deadline at once. After Close it returns an error
// wrapping net.ErrClosed.
func (c *Conn) SetDeadline(t time.Time) error { return c.pd.fd.SetDeadline(t) }

// SetReadDeadline sets the deadline of Recv and Read (see SetDeadline).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.pd.fd.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of Send and Write (see SetDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.pd.fd.SetWriteDeadline(t) }

// Stats counts the calls, system calls, EAGAINs, waits and bytes.
func (c *Conn) Stats() iomodel.Stats { return c.pd.fd.Stats() }

// CloseWrite shuts down the sending side of a socket (shutdown(2)
// SHUT_WR): the peer reads io.EOF after what was sent, and can answer.
func (c *Conn) CloseWrite() error { return c.pd.fd.CloseWrite() }

// CloseRead shuts down the receiving side of a socket (shutdown(2)
// SHUT_RD): a Recv then reads io.EOF.
func (c *Conn) CloseRead() error { return c.pd.fd.CloseRead() }

// Accept is AcceptConn, for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptConn waits for and returns the next connection, which keeps the
// peer's address accept(2) returned.
func (l *Listener) AcceptConn() (*Conn, error) { return iofd.Accept(l.pd.fd, l.open) }

// Close stops listening; a pending Accept returns an error wrapping
// net.ErrClosed.
func (l *Listener) Close() error { return l.pd.fd.Close() }

// Addr is the address the Listener listens on, also after Close.
func (l *Listener) Addr() net.Addr { return l.pd.fd.LocalAddr() }

// SetDeadline sets the deadline of Accept; an Accept already waiting
// applies it at once. After Close it returns an error wrapping
// net.ErrClosed.
func (l *Listener) SetDeadline(t time.Time) error { return l.pd.fd.SetDeadline(t) }

// Stats counts the accepts (as Read) and waits.
func (l *Listener) Stats() iomodel.Stats { return l.pd.fd.Stats() }
