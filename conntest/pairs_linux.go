package conntest

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// FDPair makes two connected raw descriptors of one kind, and says what the
// suite may expect of them.
type FDPair struct {
	Name   string
	Make   func() (a, b int, err error)
	Traits Traits
}

// FDPairs is the standard set of descriptor pairs: AF_UNIX stream, seqpacket
// and datagram socketpairs, TCP and UDP connections over 127.0.0.1, and a
// pipe (a is the write end, b the read end). All are close-on-exec and
// blocking; each model's New sets them up its own way.
func FDPairs() []FDPair {
	return []FDPair{
		{Name: "unix-stream", Make: socketpair(unix.SOCK_STREAM)},
		{Name: "unix-seqpacket", Make: socketpair(unix.SOCK_SEQPACKET), Traits: Traits{Messages: true}},
		{Name: "unix-dgram", Make: socketpair(unix.SOCK_DGRAM), Traits: Traits{Messages: true, Connectionless: true}},
		{Name: "tcp", Make: tcpPair},
		{Name: "udp", Make: udpPair, Traits: Traits{Messages: true, Connectionless: true, Lossy: true}},
		{Name: "pipe", Make: pipePair, Traits: Traits{OneWay: true}},
	}
}

func socketpair(sotype int) func() (int, int, error) {
	return func() (int, int, error) {
		fds, err := unix.Socketpair(unix.AF_UNIX, sotype|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, -1, os.NewSyscallError("socketpair", err)
		}
		return fds[0], fds[1], nil
	}
}

func pipePair() (int, int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[1], p[0], nil
}

var loopback = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}

func tcpPair() (a, b int, err error) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, os.NewSyscallError("socket", err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, loopback); err != nil {
		return -1, -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(l, 1); err != nil {
		return -1, -1, os.NewSyscallError("listen", err)
	}
	sa, err := unix.Getsockname(l)
	if err != nil {
		return -1, -1, os.NewSyscallError("getsockname", err)
	}
	a, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, os.NewSyscallError("socket", err)
	}
	if err := connect(a, sa); err != nil {
		unix.Close(a)
		return -1, -1, os.NewSyscallError("connect", err)
	}
	for {
		b, _, err = unix.Accept4(l, unix.SOCK_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(a)
		return -1, -1, os.NewSyscallError("accept4", err)
	}
	// Small messages go at once, as package net sets it.
	unix.SetsockoptInt(a, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	unix.SetsockoptInt(b, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	return a, b, nil
}

func udpPair() (a, b int, err error) {
	var fds [2]int
	var addrs [2]unix.Sockaddr
	for i := range fds {
		fds[i], err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Bind(fds[i], loopback)
		}
		if err == nil {
			addrs[i], err = unix.Getsockname(fds[i])
		}
		if err != nil {
			for j := 0; j <= i; j++ {
				unix.Close(fds[j])
			}
			return -1, -1, fmt.Errorf("udp pair: %w", err)
		}
	}
	for i := range fds {
		if err := unix.Connect(fds[i], addrs[1-i]); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return -1, -1, os.NewSyscallError("connect", err)
		}
	}
	return fds[0], fds[1], nil
}

// connect is a blocking connect(2) that survives EINTR: the connection goes
// on in the background, and asking again says EALREADY until it is done.
func connect(fd int, sa unix.Sockaddr) error {
	interrupted := false
	for {
		err := unix.Connect(fd, sa)
		switch {
		case err == unix.EINTR || interrupted && err == unix.EALREADY:
			interrupted = true
		case interrupted && err == unix.EISCONN:
			return nil
		default:
			return err
		}
	}
}

func closeFDs(fds ...int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// closedFD is a descriptor number that was open a moment ago and is not
// now, for checking that New refuses it.
func closedFD() (int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socketpair", err)
	}
	unix.Close(fds[0])
	unix.Close(fds[1])
	return fds[0], nil
}
