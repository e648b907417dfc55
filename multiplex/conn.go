package multiplex

import (
	"net"
	"sync"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
)

const model = "multiplex"

// An Option configures New, Dial and Listen.
type Option func(*options)

type options struct {
	poller *Poller
}

// WithPoller makes the Conn or Listener wait on p instead of on the default
// Poller. p must outlive it: calls that have to wait after p.Close fail
// with ErrPollerClosed.
func WithPoller(p *Poller) Option {
	return func(o *options) { o.poller = p }
}

func makeOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o, nil
}

// The default Poller: started by the first New that needs it, closed (its
// goroutine gone, its fds closed) when the last descriptor on it is closed.
var defaultPoller struct {
	mu   sync.Mutex
	p    *Poller
	refs int
}

func acquireDefault() (*Poller, error) {
	d := &defaultPoller
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		p, err := NewPoller()
		if err != nil {
			return nil, err
		}
		d.p = p
	}
	d.refs++
	return d.p, nil
}

func releaseDefault() {
	d := &defaultPoller
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refs--
	if d.refs == 0 {
		d.p.Close()
		d.p = nil
	}
}

// pollFD is what a Conn and a Listener share: the descriptor's lifecycle
// (iofd.FD) and its place in a Poller. It is the model's iofd.Driver.
type pollFD struct {
	fd     *iofd.FD
	p      *Poller
	sh     *shard // the one of p's shards that watches fd
	h      handle
	shared bool // on the default Poller: released at the end
}

// open registers sysfd with the poller and takes it as an iofd.FD, waiting
// on pd; remote is the peer's address if already known (accept4(2) told
// it). On error the caller still owns sysfd and nothing is left registered.
func (pd *pollFD) open(sysfd int, remote net.Addr, o options) error {
	// Before a default Poller is started: its epoll fd could otherwise
	// take a closed sysfd's number.
	if err := iofd.CheckOpen(model, sysfd); err != nil {
		return err
	}
	pd.p = o.poller
	if pd.p == nil {
		p, err := acquireDefault()
		if err != nil {
			return iofd.NewError(model, sysfd, err)
		}
		pd.p, pd.shared = p, true
	}
	if pd.p.closed.Load() {
		pd.done()
		return iofd.NewError(model, sysfd, ErrPollerClosed)
	}
	pd.sh = pd.p.pick()
	h, err := pd.sh.register(sysfd)
	if err != nil {
		pd.done()
		return iofd.NewError(model, sysfd, err)
	}
	pd.h = h
	fd, err := iofd.New(sysfd, iofd.Config{Model: model, Mode: iofd.Nonblocking, Driver: pd, Remote: remote})
	if err != nil {
		pd.sh.unregister(h)
		pd.done()
		return err
	}
	pd.fd = fd
	pd.sh.attach(h, fd)
	return nil
}

func (pd *pollFD) done() {
	if pd.shared {
		pd.shared = false
		releaseDefault()
	}
}

// Try is iofd.Driver: the system call, with MSG_DONTWAIT.
func (pd *pollFD) Try(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) { return c.Sys(fd, h) }

// Wait is iofd.Driver: after EAGAIN, have the poller watch this direction
// (a no-op with epoll, where the fd is always watched) and sleep until the
// poller latches readiness, the deadline passes or Close is called.
func (pd *pollFD) Wait(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	if iofd.ShouldYield(c.Attempt) {
		iofd.YieldThread() // see iofd.YieldSpins: often the answer is a moment away
		return c.Woken()
	}
	if err := pd.sh.want(pd.h, h.Dir()); err != nil {
		return 0, err
	}
	if pd.sh.edge {
		pd.sh.pollNow()
	}
	h.Wait(0)
	return c.Woken()
}

// Evict is iofd.Driver: nothing sleeps in the kernel, and iofd has woken
// every waiter already.
func (pd *pollFD) Evict(*iofd.FD, *iofd.Half) {}

// Destroy is iofd.Driver: it runs after the last call has returned, just
// before close(2), and removes the fd from the poller (EPOLL_CTL_DEL).
// Removing it first matters: epoll watches the open file description, not
// the number (epoll(7), Q6), and after close(2) the number may be someone
// else's.
func (pd *pollFD) Destroy(*iofd.FD) {
	pd.sh.unregister(pd.h)
	pd.done()
}

// Conn is a descriptor driven by the multiplex model: Send and Recv try the
// system call at once and, on EAGAIN, sleep until the Poller reports the fd
// ready. It satisfies iomodel.Conn and, on a socket, net.Conn. All methods
// are safe for concurrent use.
type Conn struct {
	pd pollFD
}

var (
	_ iomodel.Conn = (*Conn)(nil)
	_ net.Conn     = (*Conn)(nil)
)

// New takes fd, a socket, pipe, FIFO or tty, for the multiplex model, on the
// default Poller unless WithPoller says otherwise. On success the Conn owns
// fd; on error the caller still does. A regular file is refused: it cannot
// be multiplexed (see ErrNotPollable); so is fd ≥ FD_SETSIZE on a select
// Poller (ErrFDSetSize), and any fd once the Poller is closed
// (ErrPollerClosed). Sockets are read and written with MSG_DONTWAIT, so
// their flags stay as they are; a pipe, FIFO or tty is set O_NONBLOCK,
// which whoever shares its open file description will see.
func New(fd int, opts ...Option) (*Conn, error) {
	return newWithOptions(fd, opts)
}

// openConn makes sysfd a Conn; remote is the peer's address if already
// known.
func openConn(sysfd int, remote net.Addr, o options) (*Conn, *iofd.FD, error) {
	c := new(Conn)
	if err := c.pd.open(sysfd, remote, o); err != nil {
		return nil, nil, err
	}
	return c, c.pd.fd, nil
}

// Poller is the Poller the Conn waits on.
func (c *Conn) Poller() *Poller { return c.pd.p }

// dialOpener is how Dialer makes a Conn of a fresh socket: a
// non-blocking connect(2), a wait for writability on the Poller, then
// SO_ERROR for the result.
func dialOpener(o options) iofd.Opener[*Conn] {
	return func(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) { return openConn(sysfd, remote, o) }
}

// Listener accepts connections when the Poller reports its socket
// readable. It satisfies net.Listener.
type Listener struct {
	pd   pollFD
	opts options
}

var _ net.Listener = (*Listener)(nil)

// listenOpener is how ListenConfig makes a Listener of a listening
// socket; accepted Conns wait on the Listener's Poller.
func listenOpener(o options) iofd.Opener[*Listener] {
	return func(sysfd int, _ net.Addr) (*Listener, *iofd.FD, error) {
		l := &Listener{opts: o}
		if err := l.pd.open(sysfd, nil, o); err != nil {
			return nil, nil, err
		}
		return l, l.pd.fd, nil
	}
}

// open makes an accepted connection a Conn, with the Listener's options:
// on the default Poller, the Conn takes its own reference, so it outlives
// the Listener.
func (l *Listener) open(sysfd int, remote net.Addr) (*Conn, *iofd.FD, error) {
	return openConn(sysfd, remote, l.opts)
}
