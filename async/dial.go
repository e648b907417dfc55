package async

import (
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/sock"
	"github.com/iomodel/iomodel/internal/uring"
)

// Dial connects to address on network ("tcp", "tcp4", "tcp6", "udp",
// "udp4", "udp6", "unix", "unixgram", "unixpacket"), as net.Dial names them,
// with IORING_OP_CONNECT: the ring waits for the connection, no thread does.
func Dial(network, address string, opts ...Option) (*Conn, error) {
	t, err := sock.Resolve(network, address, false)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	raddr := sock.Addr(t.Type, t.Addr)
	s, err := sock.Socket(t, false)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	c, err := New(s, opts...)
	if err != nil {
		unix.Close(s)
		return nil, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	if err := c.connect(t.Addr); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	c.fd.SetAddrs(nil, raddr) // the local address is looked up when asked for
	return c, nil
}

func (c *Conn) connect(sa unix.Sockaddr) error {
	raw, n, err := rawSockaddr(sa)
	if err != nil {
		return err
	}
	h := &c.fd.Write
	if err := c.fd.Lock(h); err != nil {
		return err
	}
	defer c.fd.Unlock(h)
	q := &c.wq
	for {
		if err := c.check(h); err != nil {
			return err
		}
		q.PrepConnect(c.fd.Sysfd, unsafe.Pointer(&raw), n)
		dl := h.Deadline()
		if !arm(q, dl) {
			continue
		}
		res, timedOut, err := c.await(h, q, dl)
		switch {
		case err != nil:
			return err
		case res == 0 || res == -int32(unix.EISCONN):
			return nil
		case timedOut:
			return os.ErrDeadlineExceeded
		case res == -int32(unix.ECANCELED) || res == -int32(unix.EINTR) || res == -int32(unix.EALREADY):
			// Closed or deadline: check decides. An interrupted connect(2)
			// goes on in the background; asking again reports its end.
		default:
			return os.NewSyscallError("connect", syscall.Errno(-res))
		}
	}
}

// Listener accepts connections with IORING_OP_ACCEPT. It satisfies
// net.Listener; the Conns it returns use the listener's ring.
type Listener struct {
	fd   *iofd.FD
	life lifecycle
	q    uring.Req // the Accept request, used under fd.Read's lock
	ring *Ring     // the ring the accepted Conns use (nil: the default)
}

var _ net.Listener = (*Listener)(nil)

// Listen listens on address ("tcp", "tcp4", "tcp6", "unix", "unixpacket").
func Listen(network, address string, opts ...Option) (*Listener, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return iofd.Listen(network, address, false, func(s int) (*Listener, *iofd.FD, iofd.Waiter, error) {
		r, err := acquire(o)
		if err != nil {
			return nil, nil, nil, err
		}
		l := &Listener{life: lifecycle{ring: r}, ring: &Ring{r: r}}
		fd, err := iofd.New(s, iofd.Config{Model: "async", Mode: iofd.Blocking, Hooks: &l.life})
		if err != nil {
			r.Release()
			return nil, nil, nil, err
		}
		l.fd = fd
		return l, fd, nil, nil
	})
}

// Accept waits for and returns the next connection, as net.Listener asks.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptConn waits for the next connection (IORING_OP_ACCEPT) and returns it
// as a *Conn on the listener's ring. Close unblocks it with net.ErrClosed.
func (l *Listener) AcceptConn() (*Conn, error) {
	h := &l.fd.Read
	if err := l.fd.Lock(h); err != nil {
		return nil, l.fd.OpError("accept", err)
	}
	defer l.fd.Unlock(h)
	c := Conn{fd: l.fd, life: lifecycle{ring: l.life.ring}} // borrows await and check
	q := &l.q
	for {
		if err := c.check(h); err != nil {
			return nil, l.fd.OpError("accept", err)
		}
		q.PrepAccept(l.fd.Sysfd, unix.SOCK_CLOEXEC)
		dl := h.Deadline()
		if !arm(q, dl) {
			continue
		}
		res, timedOut, err := c.await(h, q, dl)
		switch {
		case err != nil:
			return nil, l.fd.OpError("accept", err)
		case res >= 0:
			h.Count(1, 0, 0, 0)
			nc, err := New(int(res), WithRing(l.ring))
			if err != nil {
				unix.Close(int(res))
				return nil, l.fd.OpError("accept", err)
			}
			return nc, nil
		case timedOut:
			return nil, l.fd.OpError("accept", os.ErrDeadlineExceeded)
		case res == -int32(unix.ECANCELED) || res == -int32(unix.EINTR) || res == -int32(unix.ECONNABORTED):
			// accept(2): a connection reset before it was taken is not the
			// listener's failure; take the next one.
		default:
			return nil, l.fd.OpError("accept", os.NewSyscallError("accept4", syscall.Errno(-res)))
		}
	}
}

// Close stops listening; a pending Accept returns an error wrapping
// net.ErrClosed.
func (l *Listener) Close() error { return l.fd.Close() }

// SetDeadline sets the deadline of Accept; a pending Accept sees a new
// deadline at once (its request is cancelled and resubmitted, or ends with
// os.ErrDeadlineExceeded). The zero time means none.
func (l *Listener) SetDeadline(t time.Time) error {
	if l.fd.Closed() {
		return l.fd.OpError("set", net.ErrClosed)
	}
	l.fd.Read.SetDeadline(t)
	return nil
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.fd.LocalAddr() }

// rawSockaddr lays sa out the way connect(2) reads it. (It belongs in
// internal/sock; unix.Sockaddr keeps its own conversion unexported.)
func rawSockaddr(sa unix.Sockaddr) (unix.RawSockaddrAny, uint32, error) {
	var raw unix.RawSockaddrAny
	putPort := func(p *uint16, port int) {
		b := (*[2]byte)(unsafe.Pointer(p))
		b[0], b[1] = byte(port>>8), byte(port) // network byte order
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&raw))
		r.Family = unix.AF_INET
		putPort(&r.Port, a.Port)
		r.Addr = a.Addr
		return raw, unix.SizeofSockaddrInet4, nil
	case *unix.SockaddrInet6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(&raw))
		r.Family = unix.AF_INET6
		putPort(&r.Port, a.Port)
		r.Scope_id = a.ZoneId
		r.Addr = a.Addr
		return raw, unix.SizeofSockaddrInet6, nil
	case *unix.SockaddrUnix:
		r := (*unix.RawSockaddrUnix)(unsafe.Pointer(&raw))
		name := a.Name
		if len(name) >= len(r.Path) {
			return raw, 0, os.NewSyscallError("connect", unix.EINVAL)
		}
		r.Family = unix.AF_UNIX
		for i := 0; i < len(name); i++ {
			r.Path[i] = int8(name[i])
		}
		n := uint32(2 + len(name) + 1) // with the terminating NUL
		if len(name) > 0 && name[0] == '@' {
			r.Path[0] = 0 // abstract namespace (unix(7)): no NUL at the end
			n--
		}
		return raw, n, nil
	}
	return raw, 0, os.NewSyscallError("connect", unix.EAFNOSUPPORT)
}
