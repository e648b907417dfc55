package sigdriven

import (
	"errors"
	"fmt"
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/platform"
)

// model is the package's name in errors.
const model = "sigdriven"

// DefaultSignal is the real-time signal the precise mode uses unless
// WithSignal says otherwise. It is not SIGRTMIN (34 or 35 as libc reports
// it) because that is the one other code reaches for first.
const DefaultSignal = 40

// ErrBadSignal is wrapped by the error for a signal number this package
// cannot own: one that does not exist, a standard signal (they do not
// queue, and the Go runtime handles them), or 32-34, which belong to libc.
var ErrBadSignal = errors.New("signal cannot be used by the signal-driven model")

// ErrNoAsync is wrapped by the error for a descriptor on which the kernel
// ignores O_ASYNC: fcntl(2) accepts F_SETFL O_ASYNC on any descriptor but
// only files whose driver implements ->fasync keep it, so a regular file
// silently never signals. It also wraps errors.ErrUnsupported.
var ErrNoAsync = fmt.Errorf("O_ASYNC does not stick on this descriptor, so the kernel would never signal its readiness; the signal-driven model works on sockets, pipes, FIFOs and terminals (ttys), not on regular files: %w", errors.ErrUnsupported)

// An Option configures New, Dial and Listen.
type Option func(*options)

type options struct {
	sig       int
	broadcast bool
}

// WithSignal makes the descriptor signal with real-time signal sig (35 to
// 64) instead of DefaultSignal. Each signal in use has its own dispatcher
// thread. Signals the Go runtime or libc own are refused (ErrBadSignal).
// The program must not use sig for anything else.
func WithSignal(sig int) Option { return func(o *options) { o.sig = sig } }

// WithBroadcast selects broadcast mode: the classic signal-driven I/O, plain
// SIGIO to the whole process through os/signal, every waiter woken by every
// signal. It exists to show the thundering herd that the default precise
// mode avoids; it coexists with the program's own signal.Notify(SIGIO).
func WithBroadcast() Option { return func(o *options) { o.broadcast = true } }

// makeOptions applies opts; an option that cannot be met is named in the
// error (checkOptions: Linux only, so that elsewhere every constructor
// fails as unsupported instead).
func makeOptions(opts []Option) (options, error) {
	o := options{sig: DefaultSignal}
	for _, opt := range opts {
		opt(&o)
	}
	return o, o.check()
}

// ConnSignalStats counts the signals and wake-ups of one Conn or Listener.
type ConnSignalStats struct {
	// Signals is the number of signals that concerned this descriptor:
	// real-time signals naming it, and in broadcast mode every SIGIO.
	Signals uint64
	// Precise is the number of wake-ups aimed at one of its directions.
	Precise uint64
	// Broadcast is the number of wake-ups it got because every waiter was
	// woken (an overflow, or broadcast mode).
	Broadcast uint64
	// Spurious is the number of wake-ups after which a call found nothing
	// to do.
	Spurious uint64
}

func (s *sigFD) signalStats() ConnSignalStats {
	return ConnSignalStats{
		Signals:   s.reg.signals.Load(),
		Precise:   s.reg.precise.Load(),
		Broadcast: s.reg.broadcast.Load(),
		Spurious:  s.reg.spurious.Load(),
	}
}

// Conn is a descriptor driven by the signal-driven model: Send and Recv try
// the system call at once and, on EAGAIN, sleep until the kernel's signal
// for this descriptor and direction wakes them. It satisfies iomodel.Conn
// and, on a socket, net.Conn. All methods are safe for concurrent use.
type Conn struct {
	s sigFD // sigfd_linux.go
}

// New takes fd, a socket, pipe, FIFO or tty, for the signal-driven model.
// On success the Conn owns fd; on error the caller still does. A regular
// file is refused (ErrNoAsync): the kernel never signals its readiness.
func New(fd int, opts ...Option) (*Conn, error) {
	return newWithOptions(fd, opts)
}

// openConn makes sysfd a Conn; remote is the peer's address if already
// known.
func openConn(sysfd int, remote net.Addr, o options) (*Conn, *iofd.FD, error) {
	c := new(Conn)
	if err := c.s.open(sysfd, o, remote); err != nil {
		return nil, nil, err
	}
	return c, c.s.fd, nil
}

// dialOpener is how Dialer makes a Conn of a fresh socket: it is armed
// first, then connected without blocking; the kernel signals POLL_OUT (or
// POLL_ERR) when the handshake ends, and SO_ERROR gives the result.
func dialOpener(o options) iofd.Opener[*Conn] {
	return func(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) { return openConn(sysfd, remote, o) }
}

// SignalStats counts the signals and wake-ups that concerned this Conn.
func (c *Conn) SignalStats() ConnSignalStats { return c.s.signalStats() }

// Listener accepts connections when the kernel signals its socket
// readable (a connection is waiting). It satisfies net.Listener.
type Listener struct {
	s sigFD
	o options // for the accepted Conns
}

// listenOpener is how ListenConfig makes a Listener of a listening socket
// (non-blocking, from iofd: accept4(2) has no MSG_DONTWAIT); accepted
// Conns get the same options.
func listenOpener(o options) iofd.Opener[*Listener] {
	return func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		l := &Listener{o: o}
		if err := l.s.open(sysfd, o, nil); err != nil {
			return nil, nil, err
		}
		return l, l.s.fd, nil
	}
}

// open makes an accepted connection a Conn with the Listener's options
// (iofd.Opener, for AcceptConn).
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return openConn(sysfd, remote, l.o)
}

// SignalStats counts the signals and wake-ups that concerned the Listener.
func (l *Listener) SignalStats() ConnSignalStats { return l.s.signalStats() }

// unsupported is the error of every constructor off Linux
// (sigfd_other.go); a function here so that a test on Linux covers it.
func unsupported(fn string) error { return platform.Unsupported(model, fn) }
