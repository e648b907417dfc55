package iofd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The socket options of *net.TCPConn and *net.UnixConn, with net's names,
// defaults and errors: a *net.OpError with Op "set" whose Err is the
// *os.SyscallError of setsockopt(2). An option on a descriptor that lacks it
// (TCP_NODELAY on a Unix-domain socket or a pipe) fails with an error that
// names the option and the kind and wraps errors.ErrUnsupported, and
// changes nothing.

// net's keep-alive defaults (KeepAliveConfig's zero fields).
const (
	defaultKeepAliveIdle     = 15 * time.Second
	defaultKeepAliveInterval = 15 * time.Second
	defaultKeepAliveCount    = 9
)

func (fd *FD) optError(err error) error {
	fd.addrMu.Lock()
	src, dst := fd.laddr, fd.raddr
	fd.addrMu.Unlock()
	return &net.OpError{Op: "set", Net: fd.network, Source: src, Addr: dst, Err: err}
}

// needs checks that fd is a socket the option applies to: any socket
// (tcp false), or a TCP one.
func (fd *FD) needs(method, option string, tcp bool) error {
	ok := fd.Kind.IsSocket()
	if tcp {
		ok = fd.Kind == Stream && (fd.Family == unix.AF_INET || fd.Family == unix.AF_INET6)
	}
	if !ok {
		what := fd.Kind.String()
		if fd.Kind.IsSocket() {
			what = fd.network + " " + what
		}
		return fmt.Errorf("%s: %s is not an option of a %s: %w", method, option, what, errors.ErrUnsupported)
	}
	return nil
}

func (fd *FD) setInt(method, option string, tcp bool, level, opt, v int) error {
	if err := fd.Incref(); err != nil {
		return fd.optError(err)
	}
	defer fd.Decref()
	if err := fd.needs(method, option, tcp); err != nil {
		return fd.optError(err)
	}
	if err := unix.SetsockoptInt(fd.Sysfd, level, opt, v); err != nil {
		return fd.optError(os.NewSyscallError("setsockopt", err))
	}
	return nil
}

func boolint(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetNoDelay sets TCP_NODELAY: true (net's default, set on every dialed and
// accepted TCP connection) sends small writes at once; false lets Nagle's
// algorithm gather them.
func (fd *FD) SetNoDelay(noDelay bool) error {
	return fd.setInt("SetNoDelay", "TCP_NODELAY", true, unix.IPPROTO_TCP, unix.TCP_NODELAY, boolint(noDelay))
}

// SetKeepAlive turns keep-alive probes on or off (SO_KEEPALIVE).
func (fd *FD) SetKeepAlive(keepalive bool) error {
	return fd.setInt("SetKeepAlive", "SO_KEEPALIVE", true, unix.SOL_SOCKET, unix.SO_KEEPALIVE, boolint(keepalive))
}

// SetKeepAlivePeriod sets the idle time before the first keep-alive probe
// (TCP_KEEPIDLE), rounded up to whole seconds; 0 means net's default, 15 s,
// and a negative period leaves it as it is.
func (fd *FD) SetKeepAlivePeriod(d time.Duration) error {
	if d < 0 {
		if err := fd.needs("SetKeepAlivePeriod", "TCP_KEEPIDLE", true); err != nil {
			return fd.optError(err)
		}
		return nil
	}
	return fd.setInt("SetKeepAlivePeriod", "TCP_KEEPIDLE", true, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, seconds(d, defaultKeepAliveIdle))
}

// SetKeepAliveConfig sets every keep-alive parameter, as
// net.TCPConn.SetKeepAliveConfig: Enable, then Idle, Interval and Count,
// where 0 is net's default (15 s, 15 s, 9) and a negative value leaves the
// parameter as it is.
func (fd *FD) SetKeepAliveConfig(c net.KeepAliveConfig) error {
	if err := fd.SetKeepAlive(c.Enable); err != nil {
		return err
	}
	if c.Idle >= 0 {
		if err := fd.setInt("SetKeepAliveConfig", "TCP_KEEPIDLE", true, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, seconds(c.Idle, defaultKeepAliveIdle)); err != nil {
			return err
		}
	}
	if c.Interval >= 0 {
		if err := fd.setInt("SetKeepAliveConfig", "TCP_KEEPINTVL", true, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, seconds(c.Interval, defaultKeepAliveInterval)); err != nil {
			return err
		}
	}
	if c.Count >= 0 {
		n := c.Count
		if n == 0 {
			n = defaultKeepAliveCount
		}
		if err := fd.setInt("SetKeepAliveConfig", "TCP_KEEPCNT", true, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, n); err != nil {
			return err
		}
	}
	return nil
}

// seconds is d rounded up to whole seconds, def for 0.
func seconds(d, def time.Duration) int {
	if d == 0 {
		d = def
	}
	return int((d + time.Second - 1) / time.Second)
}

// SetLinger sets SO_LINGER as net.TCPConn.SetLinger: sec < 0 (the default)
// lets Close return at once and the kernel send what is left in the
// background; sec == 0 discards unsent data and resets the connection;
// sec > 0 makes the kernel try for sec seconds.
func (fd *FD) SetLinger(sec int) error {
	if err := fd.Incref(); err != nil {
		return fd.optError(err)
	}
	defer fd.Decref()
	if err := fd.needs("SetLinger", "SO_LINGER", true); err != nil {
		return fd.optError(err)
	}
	l := unix.Linger{}
	if sec >= 0 {
		l.Onoff, l.Linger = 1, int32(sec)
	}
	if err := unix.SetsockoptLinger(fd.Sysfd, unix.SOL_SOCKET, unix.SO_LINGER, &l); err != nil {
		return fd.optError(os.NewSyscallError("setsockopt", err))
	}
	return nil
}

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF).
func (fd *FD) SetReadBuffer(bytes int) error {
	return fd.setBuffer("SetReadBuffer", "SO_RCVBUF", unix.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF).
func (fd *FD) SetWriteBuffer(bytes int) error {
	return fd.setBuffer("SetWriteBuffer", "SO_SNDBUF", unix.SO_SNDBUF, bytes)
}

// setBuffer is setInt for a buffer size, whose errors net names as its
// conn's SetReadBuffer does: the socket's own address as Addr, and no
// Source (a TCP option's name both ends).
func (fd *FD) setBuffer(method, option string, opt, v int) error {
	err := fd.setInt(method, option, false, unix.SOL_SOCKET, opt, v)
	if oe, ok := err.(*net.OpError); ok {
		oe.Source, oe.Addr = nil, fd.LocalAddr()
	}
	return err
}

// tcpDefaults gives a dialed or accepted TCP connection what net gives
// its own (net.newTCPConn): TCP_NODELAY, and keep-alive from the
// dialer's or listener's settings: ka.Enable, or else idle ≥ 0 (0: 15 s)
// enables it with net's default interval and count.
func (fd *FD) tcpDefaults(idle time.Duration, ka net.KeepAliveConfig) error {
	if fd.needs("", "", true) != nil {
		return nil
	}
	if err := fd.SetNoDelay(true); err != nil {
		return err
	}
	if !ka.Enable && idle >= 0 {
		ka = net.KeepAliveConfig{Enable: true, Idle: idle}
	}
	if ka.Enable {
		return fd.SetKeepAliveConfig(ka)
	}
	return nil
}
