package sigdriven

import (
	"fmt"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
)

const model = "sigdriven"

// An Option configures New, Dial and Listen.
type Option func(*config)

type config struct {
	sig       int
	broadcast bool
}

// WithSignal makes the descriptor signal with real-time signal sig (35 to
// 64) instead of DefaultSignal. Each signal in use has its own dispatcher
// thread. Signals the Go runtime or libc own are refused (ErrBadSignal).
// The program must not use sig for anything else.
func WithSignal(sig int) Option { return func(c *config) { c.sig = sig } }

// WithBroadcast selects broadcast mode: the classic signal-driven I/O, plain
// SIGIO to the whole process through os/signal, every waiter woken by every
// signal. It exists to show the thundering herd that the default precise
// mode avoids; it coexists with the program's own signal.Notify(SIGIO).
func WithBroadcast() Option { return func(c *config) { c.broadcast = true } }

// sigFD is what a Conn and a Listener share: the descriptor's lifecycle
// (iofd.FD) and its registration for signals. It is the model's
// iofd.Waiter and iofd.Hooks.
type sigFD struct {
	fd     *iofd.FD
	reg    *registration
	rl, wl latch // in front of fd.Read and fd.Write
}

// open takes sysfd as an iofd.FD and arms it for signals. On error the
// caller still owns sysfd and nothing is left registered.
func (s *sigFD) open(sysfd int, opts []Option) error {
	cfg := config{sig: DefaultSignal}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.broadcast {
		cfg.sig = 0
	} else if err := checkSignal(cfg.sig); err != nil {
		return iofd.NewError(model, sysfd, err)
	}
	fd, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Nonblocking, Hooks: s})
	if err != nil {
		return err
	}
	s.rl.h, s.wl.h = &fd.Read, &fd.Write
	reg, err := register(sysfd, cfg.sig, &s.rl, &s.wl)
	if err != nil {
		return iofd.NewError(model, sysfd, fmt.Errorf("%v: %w", fd.Kind, err))
	}
	s.fd, s.reg = fd, reg
	return nil
}

// Wait is iofd.Waiter: after EAGAIN, wait until the dispatcher (or the
// broadcaster) latches a wake-up for this direction, the deadline passes or
// Close is called: a few yields (iofd.ShouldYield), then sleep (see
// latch). A wake-up after which the call still found nothing to do is
// counted as spurious.
func (s *sigFD) Wait(fd *iofd.FD, h *iofd.Half, attempt int) error {
	l := &s.rl
	if h.Dir() == iofd.Write {
		l = &s.wl
	}
	if attempt == 0 {
		l.woke = false
	}
	if l.woke {
		// The last wake-up of this call found nothing to do.
		s.reg.spurious.Add(1)
		counters.spurious.Add(1)
		l.woke = false
	}
	if iofd.ShouldYield(attempt) {
		iofd.YieldThread() // see iofd.YieldSpins: often the answer is a moment away
		return nil
	}
	l.wait(fd)
	l.woke = true
	return nil
}

// Evict is iofd.Hooks: nothing sleeps in the kernel, and iofd has woken
// every waiter already.
func (s *sigFD) Evict(*iofd.FD) {}

// Destroy is iofd.Hooks: after the last call, before close(2), the
// descriptor is disarmed (O_ASYNC off, no signal, no owner) and retired
// from the dispatcher, so that its number, once reused, is not mistaken
// for it.
func (s *sigFD) Destroy(*iofd.FD) { s.reg.unregister() }

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
	s sigFD
}

var (
	_ iomodel.Conn = (*Conn)(nil)
	_ net.Conn     = (*Conn)(nil)
)

// New takes fd, a socket, pipe, FIFO or tty, for the signal-driven model.
// On success the Conn owns fd; on error the caller still does. A regular
// file is refused (ErrNoAsync): the kernel never signals its readiness.
func New(fd int, opts ...Option) (*Conn, error) {
	c := new(Conn)
	if err := c.s.open(fd, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// Recv reads into p: at least one byte, or io.EOF at the end of a stream.
func (c *Conn) Recv(p []byte) (int, error) { return c.s.fd.Recv(p, &c.s) }

// Send writes all of p on a stream, one message on a datagram socket.
func (c *Conn) Send(p []byte) (int, error) { return c.s.fd.Send(p, &c.s) }

// Read is Recv, for io.Reader and net.Conn.
func (c *Conn) Read(p []byte) (int, error) { return c.s.fd.Recv(p, &c.s) }

// Write is Send, for io.Writer and net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.s.fd.Send(p, &c.s) }

// Close unblocks every pending call (they fail with an error wrapping
// net.ErrClosed); the descriptor is disarmed and closed once the last of
// them has returned. The last Close in the process stops the dispatcher.
func (c *Conn) Close() error { return c.s.fd.Close() }

// LocalAddr is the socket's address, nil if fd is not a socket.
func (c *Conn) LocalAddr() net.Addr { return c.s.fd.LocalAddr() }

// RemoteAddr is the peer's address, nil if fd is not a connected socket.
func (c *Conn) RemoteAddr() net.Addr { return c.s.fd.RemoteAddr() }

// SetDeadline sets the read and write deadlines; a call already waiting
// applies the new deadline at once.
func (c *Conn) SetDeadline(t time.Time) error {
	c.s.fd.SetDeadline(t)
	return nil
}

// SetReadDeadline sets the deadline for Recv and Read; a waiting call
// applies it at once.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.s.fd.Read.SetDeadline(t)
	return nil
}

// SetWriteDeadline sets the deadline for Send and Write; a waiting call
// applies it at once.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.s.fd.Write.SetDeadline(t)
	return nil
}

// Stats counts the Conn's calls, system calls, EAGAINs, waits and bytes.
func (c *Conn) Stats() iomodel.Stats { return c.s.fd.Stats() }

// SignalStats counts the signals and wake-ups that concerned this Conn.
func (c *Conn) SignalStats() ConnSignalStats { return c.s.signalStats() }

// Dial connects to address on network ("tcp", "tcp4", "tcp6", "udp",
// "udp4", "udp6", "unix", "unixgram", "unixpacket") the signal-driven way:
// the socket is armed first, then a non-blocking connect(2); the kernel
// signals POLL_OUT (or POLL_ERR) when the handshake ends, and SO_ERROR
// gives the result.
func Dial(network, address string, opts ...Option) (*Conn, error) {
	return iofd.Dial(network, address, true, func(sysfd int) (*Conn, *iofd.FD, iofd.Waiter, error) {
		c := new(Conn)
		if err := c.s.open(sysfd, opts); err != nil {
			return nil, nil, nil, err
		}
		return c, c.s.fd, &c.s, nil
	})
}

// Listener accepts connections when the kernel signals its socket
// readable (a connection is waiting). It satisfies net.Listener.
type Listener struct {
	s    sigFD
	opts []Option
}

var _ net.Listener = (*Listener)(nil)

// Listen listens on address ("tcp", "tcp4", "tcp6", "unix", "unixpacket").
// Accepted Conns get the same options.
func Listen(network, address string, opts ...Option) (*Listener, error) {
	return iofd.Listen(network, address, true, func(sysfd int) (*Listener, *iofd.FD, iofd.Waiter, error) {
		l := &Listener{opts: opts}
		if err := l.s.open(sysfd, opts); err != nil {
			return nil, nil, nil, err
		}
		return l, l.s.fd, &l.s, nil
	})
}

// AcceptConn waits for and returns the next connection.
func (l *Listener) AcceptConn() (*Conn, error) {
	return iofd.Accept(l.s.fd, &l.s, 0, func(sysfd int) (*Conn, *iofd.FD, iofd.Waiter, error) {
		c, err := New(sysfd, l.opts...)
		if err != nil {
			return nil, nil, nil, err
		}
		return c, c.s.fd, &c.s, nil
	})
}

// Accept is AcceptConn, for net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops listening; a pending Accept returns an error wrapping
// net.ErrClosed.
func (l *Listener) Close() error { return l.s.fd.Close() }

// Addr is the address the Listener listens on.
func (l *Listener) Addr() net.Addr { return l.s.fd.LocalAddr() }

// Stats counts the Listener's accepts (as Read) and waits.
func (l *Listener) Stats() iomodel.Stats { return l.s.fd.Stats() }

// SignalStats counts the signals and wake-ups that concerned the Listener.
func (l *Listener) SignalStats() ConnSignalStats { return l.s.signalStats() }

// CloseWrite shuts down the sending side of a socket (shutdown(2)): the
// peer reads io.EOF after what was sent, and Recv still works. It is what
// net.TCPConn's CloseWrite does, for half-closing protocols.
func (c *Conn) CloseWrite() error { return c.s.fd.CloseWrite() }
