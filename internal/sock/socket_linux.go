package sock

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket creates a socket for t, close-on-exec, non-blocking when nonblock is
// true (the models that wait for readiness connect and accept that way).
func Socket(t Target, nonblock bool) (int, error) {
	flags := unix.SOCK_CLOEXEC
	if nonblock {
		flags |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(t.Family, t.Type|flags, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if t.Family == unix.AF_INET6 && t.Network[len(t.Network)-1] == '6' {
		// "tcp6" means IPv6 only, as in package net.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if t.Type == unix.SOCK_DGRAM && t.Family != unix.AF_UNIX {
		// As package net does for every UDP socket (setDefaultSockopts).
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
	}
	return fd, nil
}

// Listen creates a socket for t bound to its address and, for stream and
// seqpacket sockets, listening with the system's largest backlog. For TCP it
// sets SO_REUSEADDR, as package net does, so a restarted server can bind at
// once. control, if not nil, runs after socket(2) and before bind(2) (a
// ListenConfig's Control: SO_REUSEPORT, say). The caller owns the returned
// fd.
func Listen(t Target, nonblock bool, control func(fd int) error) (int, error) {
	fd, err := Socket(t, nonblock)
	noMapped := false
	if err == nil && isDualStackAny(t) {
		// Every address of both families, whatever the host's default
		// (net.ipv6.bindv6only), as net sets it.
		if e := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); e != nil {
			unix.Close(fd)
			err, noMapped = os.NewSyscallError("setsockopt", e), true
		}
	}
	if (noMapped || errors.Is(err, unix.EAFNOSUPPORT)) && isDualStackAny(t) {
		// No IPv6 on this host, or no IPv4-mapped addresses: "every
		// address" is IPv4's, as net's favoriteAddrFamily falls back.
		t.Family = unix.AF_INET
		t.Addr = &unix.SockaddrInet4{Port: t.Addr.(*unix.SockaddrInet6).Port}
		fd, err = Socket(t, nonblock)
	}
	if err != nil {
		return -1, err
	}
	if t.Family != unix.AF_UNIX && t.Type == unix.SOCK_STREAM {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("setsockopt", err)
		}
	}
	if control != nil {
		if err := control(fd); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.Bind(fd, t.Addr); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if t.Type != unix.SOCK_DGRAM {
		if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("listen", err)
		}
	}
	return fd, nil
}

// Type reports a socket's type (SO_TYPE) and family (SO_DOMAIN). err wraps
// ENOTSOCK for a descriptor that is not a socket.
func Type(fd int) (sotype, family int, err error) {
	sotype, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return 0, 0, err
	}
	family, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	return sotype, family, err
}

// isDualStackAny reports whether t is the IPv6 any-address that
// ResolveListen gives Listen for a plain "tcp" or "udp" wildcard.
func isDualStackAny(t Target) bool {
	a, ok := t.Addr.(*unix.SockaddrInet6)
	last := t.Network[len(t.Network)-1]
	return ok && a.Addr == [16]byte{} && last != '6' && last != '4'
}

// Raw lays sa out the way the kernel reads a struct sockaddr (connect(2),
// io_uring's IORING_OP_CONNECT): unix.Sockaddr keeps its own conversion
// unexported.
func Raw(sa unix.Sockaddr) ([]byte, error) {
	var raw unix.RawSockaddrAny
	putPort := func(p *uint16, port int) {
		b := (*[2]byte)(unsafe.Pointer(p))
		b[0], b[1] = byte(port>>8), byte(port) // network byte order
	}
	n := uintptr(0)
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&raw))
		r.Family = unix.AF_INET
		putPort(&r.Port, a.Port)
		r.Addr = a.Addr
		n = unix.SizeofSockaddrInet4
	case *unix.SockaddrInet6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(&raw))
		r.Family = unix.AF_INET6
		putPort(&r.Port, a.Port)
		r.Scope_id = a.ZoneId
		r.Addr = a.Addr
		n = unix.SizeofSockaddrInet6
	case *unix.SockaddrUnix:
		r := (*unix.RawSockaddrUnix)(unsafe.Pointer(&raw))
		name := a.Name
		if len(name) >= len(r.Path) {
			return nil, unix.EINVAL
		}
		r.Family = unix.AF_UNIX
		for i := 0; i < len(name); i++ {
			r.Path[i] = int8(name[i])
		}
		n = uintptr(2 + len(name) + 1) // with the terminating NUL
		if len(name) > 0 && name[0] == '@' {
			r.Path[0] = 0 // abstract namespace (unix(7)): no NUL at the end
			n--
		}
	default:
		return nil, unix.EAFNOSUPPORT
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&raw)), n)...), nil
}
