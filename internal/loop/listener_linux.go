package loop

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/iomodel/iomodel/internal/sock"
	"golang.org/x/sys/unix"
)

// DupListener takes a duplicate of ln's socket for model's Engine. It
// refuses, naming why, a listener without SyscallConn, a closed one, and a
// socket that is not a listening stream socket.
func DupListener(model string, ln net.Listener) (*Listener, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s.Serve: %T on %v: %s", model, ln, addrOf(ln), fmt.Sprintf(format, args...))
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fail("has no SyscallConn, so the engine cannot accept on its socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%s.Serve: %w", model, err)
	}
	dup, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, fmt.Errorf("%s.Serve: %w", model, err)
	}
	if derr != nil {
		return nil, fmt.Errorf("%s.Serve: %w", model, os.NewSyscallError("fcntl", derr))
	}
	l := &Listener{fd: dup, reserve: -1, failed: make(chan struct{})}
	ok = false
	defer func() {
		if !ok {
			unix.Close(dup)
		}
	}()
	typ, err := unix.GetsockoptInt(dup, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, fail("not a socket: %v", os.NewSyscallError("getsockopt", err))
	}
	if typ != unix.SOCK_STREAM {
		return nil, fail("not a stream socket (SO_TYPE %d); an Engine serves TCP and Unix stream listeners", typ)
	}
	if acc, err := unix.GetsockoptInt(dup, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || acc == 0 {
		return nil, fail("not listening")
	}
	flags, err := unix.FcntlInt(uintptr(dup), unix.F_GETFL, 0)
	if err != nil {
		return nil, fmt.Errorf("%s.Serve: %w", model, os.NewSyscallError("fcntl", err))
	}
	l.nonblock = flags&unix.O_NONBLOCK != 0
	if dom, err := unix.GetsockoptInt(dup, unix.SOL_SOCKET, unix.SO_DOMAIN); err == nil {
		l.tcp = dom == unix.AF_INET || dom == unix.AF_INET6
	}
	if sa, err := unix.Getsockname(dup); err == nil {
		l.addr = sock.Addr(unix.SOCK_STREAM, sa)
	}
	l.reserve = openReserve()
	ok = true
	return l, nil
}

func addrOf(ln net.Listener) any {
	defer func() { recover() }() // a closed or odd listener may not answer
	return ln.Addr()
}

// openReserve opens the spare descriptor, or returns -1.
func openReserve() int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// Accept takes one connection off the queue without waiting: it returns
// the connected socket (close-on-exec, in blocking mode: the readiness
// models read and write it with MSG_DONTWAIT, and the async and blocking
// models want it so) and its addresses; unix.EAGAIN when none is waiting.
//
// Out of descriptors (EMFILE, ENFILE), it does what libuv and Netty do
// rather than let the loop spin on a listener that stays readable: it
// closes its spare descriptor, accepts the connection into it, closes
// that (the client sees it closed, Counters.Rejected counts it) and opens
// the spare again; when there is no spare, it returns an error wrapping
// ErrNoDescriptors, and the caller stops accepting for a while. A
// connection taken into the spare's place while a descriptor had come
// free again is kept (shed). Other errors (wrapped as *os.SyscallError)
// end accepting on this listener.
func (l *Listener) Accept() (fd int, local, remote net.Addr, err error) {
	for {
		if !l.nonblock {
			// accept4 would block a loop if another acceptor took the
			// connection first: ask first.
			pfd := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}}
			n, err := unix.Poll(pfd, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return -1, nil, nil, os.NewSyscallError("poll", err)
			}
			if n == 0 {
				return -1, nil, nil, unix.EAGAIN
			}
		}
		nfd, err := l.sa.accept4(l.fd)
		if err == unix.EMFILE || err == unix.ENFILE {
			if nfd, err = l.shed(err); err != nil {
				return -1, nil, nil, err // EAGAIN, or no spare
			}
			if nfd < 0 {
				continue // shed; take the next one
			}
		}
		switch err {
		case nil:
			if l.tcp {
				tcpDefaults(nfd)
			}
			remote := l.peerOf(nfd, true)
			return nfd, l.localOf(nfd), remote, nil
		case unix.EAGAIN:
			return -1, nil, nil, unix.EAGAIN
		case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
			// accept(2): the connection went before it was taken; take
			// the next one.
			continue
		case unix.ENOBUFS, unix.ENOMEM:
			return -1, nil, nil, fmt.Errorf("accept4: %w: %w", ErrNoDescriptors, err)
		}
		return -1, nil, nil, os.NewSyscallError("accept4", err)
	}
}

// Accepted readies a connection the owner accepted on l by other means
// than Accept (the async engine's multishot ACCEPT, which reports no
// address): net's TCP defaults, as Accept gives them, and its local and
// remote addresses (the local one shared as Accept shares it). Only the
// Listener's owner calls it.
func (l *Listener) Accepted(fd int) (local, remote net.Addr) {
	if l.tcp {
		tcpDefaults(fd)
	}
	return l.localOf(fd), l.peerOf(fd, false)
}

// peerOf is the remote address of connection fd, accepted on l: from
// l.sa, which accept4 filled in (accepted), or read by getpeername(2).
// An Internet address is made from l.sa directly; any other (AF_UNIX)
// through unix.Getpeername and sock.Addr, which name it as net does (an
// unnamed peer is "@", as syscall reads the empty name). nil when it
// cannot be read.
func (l *Listener) peerOf(fd int, accepted bool) net.Addr {
	if !accepted && l.sa.name(fd, true) != nil {
		return nil
	}
	if ap, ok := sock.AddrPortOf(&l.sa.raw, l.sa.n); ok {
		return net.TCPAddrFromAddrPort(ap)
	}
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return nil
	}
	return sock.Addr(unix.SOCK_STREAM, sa)
}

// tcpDefaults gives an accepted TCP connection what net gives its own
// (net.newTCPConn, net.KeepAliveConfig's defaults): TCP_NODELAY, so a
// small answer is not held back by Nagle's algorithm waiting for the
// peer's delayed ACK, and keep-alive probes after 15 s idle, every 15 s, 9
// of them. A failure leaves the connection as it is, as net's does.
func tcpDefaults(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 15)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9)
}

// localOf is the local address of a connection accepted on l: the
// listener's own, unless it listens on a wildcard address, and then the
// one getsockname(2) reads. Connections with the same local address share
// one net.Addr, which is 64 bytes an idle connection does not hold.
func (l *Listener) localOf(nfd int) net.Addr {
	ta, ok := l.addr.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		if l.addr != nil {
			return l.addr
		}
	}
	if l.sa.name(nfd, false) != nil {
		return l.addr
	}
	ap, ok := sock.AddrPortOf(&l.sa.raw, l.sa.n)
	if !ok {
		return l.addr
	}
	if l.lastLocal == nil || ap != l.lastLocalAP {
		l.lastLocal, l.lastLocalAP = net.TCPAddrFromAddrPort(ap), ap
	}
	return l.lastLocal
}

// shed takes one connection off the queue into the spare descriptor's
// place and closes it, returning -1 and nil. It returns EAGAIN when none
// was waiting (accept4 reports EMFILE before it looks at the queue), or an
// error wrapping ErrNoDescriptors and errno when there is no spare.
//
// Descriptors may have come free since accept4 failed (closed by other
// goroutines, or RLIMIT_NOFILE raised), and the connection taken now may
// be the first to arrive after: when the spare opens again beside it, the
// process is no longer out of descriptors and accept4 would have given it
// a place, so shed keeps it and returns it, its address in l.sa as
// accept4 leaves it, as net's Accept would have.
func (l *Listener) shed(errno error) (int, error) {
	if l.reserve < 0 {
		if l.reserve = openReserve(); l.reserve < 0 {
			return -1, fmt.Errorf("accept4: %w: %w", ErrNoDescriptors, errno)
		}
	}
	unix.Close(l.reserve)
	l.reserve = -1
	nfd, err := l.sa.accept4(l.fd)
	l.reserve = openReserve()
	switch err {
	case nil:
		if l.reserve >= 0 {
			return nfd, nil
		}
		if l.counters != nil {
			l.counters.Rejected.Add(1) // before the client can see it closed
		}
		unix.Close(nfd)
		l.reserve = openReserve()
		return -1, nil
	case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
		return -1, nil
	case unix.EAGAIN:
		return -1, unix.EAGAIN
	}
	return -1, fmt.Errorf("accept4: %w: %w", ErrNoDescriptors, errno)
}

// Close closes the duplicate and the spare; the caller's listener stays
// open.
func (l *Listener) Close() error {
	if l.reserve >= 0 {
		unix.Close(l.reserve)
		l.reserve = -1
	}
	if l.fd < 0 {
		return nil
	}
	err := unix.Close(l.fd)
	l.fd = -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// ConnAddrs reads a connected socket's addresses (getsockname(2),
// getpeername(2)), for an engine whose accept did not return them (a
// ring's multishot accept); an address that cannot be read is nil.
func ConnAddrs(fd int) (local, remote net.Addr) {
	if sa, err := unix.Getsockname(fd); err == nil {
		local = sock.Addr(unix.SOCK_STREAM, sa)
	}
	if sa, err := unix.Getpeername(fd); err == nil {
		remote = sock.Addr(unix.SOCK_STREAM, sa)
	}
	return local, remote
}
