package nonblock

import (
	"net"
	"syscall"

	"github.com/iomodel/iomodel/internal/iofd"
)

const model = "nonblock"

// ErrWouldBlock is what TrySend and TryRecv's errors wrap when the kernel
// had no data or no room: errors.Is(err, nonblock.ErrWouldBlock).
const ErrWouldBlock = syscall.EAGAIN

// Conn drives a descriptor with non-blocking system calls. It satisfies
// iomodel.Conn, and net.Conn on sockets. All methods are safe for
// concurrent use.
type Conn struct {
	fd *iofd.FD
	w  waiter
}

// Option configures New, Dial and Listen.
type Option func(*options)

type options struct {
	policy Policy
}

// WithPolicy makes the Conn or Listener wait by p instead of DefaultPolicy.
// New fails if a count or duration of p is negative.
func WithPolicy(p Policy) Option { return func(o *options) { o.policy = p } }

func makeOptions(opts []Option) (options, error) {
	o := options{policy: DefaultPolicy}
	for _, f := range opts {
		f(&o)
	}
	return o, o.policy.validate()
}

// New makes a Conn of fd: sockets will get MSG_DONTWAIT on each call,
// other descriptors O_NONBLOCK. On success the Conn owns fd and Close
// closes it; on error the caller still owns it.
func New(fd int, opts ...Option) (*Conn, error) {
	return newWithOptions(fd, opts)
}

func openConn(sysfd int, remote net.Addr, o options) (*Conn, *iofd.FD, error) {
	c := &Conn{w: newWaiter(o.policy)}
	f, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Nonblocking, Waiter: &c.w, Remote: remote})
	if err != nil {
		return nil, nil, err
	}
	c.fd = f
	return c, f, nil
}

// dialOpener is how Dialer makes a Conn of a fresh socket: its connect(2)
// is non-blocking, then asked again by the Policy until the socket is
// connected (SO_ERROR and getpeername(2)).
func dialOpener(o options) iofd.Opener[*Conn] {
	return func(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) { return openConn(sysfd, remote, o) }
}

// TrySend makes one attempt to write p: it returns at once, with the
// number of bytes the kernel took and, if it could not take all of them,
// an error wrapping ErrWouldBlock.
func (c *Conn) TrySend(p []byte) (int, error) { return c.fd.TrySend(p) }

// TryRecv makes one attempt to read into p: it returns at once, with an
// error wrapping ErrWouldBlock if there was nothing to read.
func (c *Conn) TryRecv(p []byte) (int, error) { return c.fd.TryRecv(p) }
