package iofd

import (
	"context"
	"net"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// ListenPacket is every model's ListenPacket: ListenPacketContext with no
// Control.
func ListenPacket[T any](model, network, address string, open Opener[T]) (T, error) {
	return ListenPacketContext(context.Background(), &ListenConfig{}, model, network, address, open)
}

// ListenPacketContext is every model's ListenConfig.ListenPacket, as
// net.ListenConfig's: resolve, socket(2) (SO_BROADCAST on UDP, as net
// sets it), lc.Control before bind(2), bind(2) and the model's New, for
// the datagram networks udp, udp4, udp6 and unixgram ("udp" with no host
// listens on IPv6's any-address, which takes IPv4 too, as net's does).
// The socket is unconnected: ReadFrom reports each datagram's sender and
// WriteTo names its destination. As net's, closing a unixgram socket
// leaves its file in place (SetUnlinkOnClose(true) removes it). Errors are
// *net.OpError with Op "listen" and the local address as Addr, as net's.
func ListenPacketContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	var zero T
	if ctx == nil {
		panic("nil context")
	}
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
	default:
		return zero, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	t, err := sock.Resolve(network, address, true)
	if err != nil {
		return zero, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	laddr := sock.Addr(t.Type, t.Addr)
	var control func(int) error
	if lc.Control != nil {
		control = func(s int) error {
			return lc.Control(network+familySuffix(t), laddr.String(), sysRawConn(s))
		}
	}
	s, err := sock.Listen(t, false, control)
	if err != nil {
		return zero, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: err}
	}
	c, fd, err := open(s, nil)
	if err != nil {
		unix.Close(s)
		return zero, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: err}
	}
	if u, ok := t.Addr.(*unix.SockaddrUnix); ok && len(u.Name) > 0 && u.Name[0] != '@' {
		fd.addrMu.Lock()
		fd.unixPath = u.Name // for SetUnlinkOnClose(true); not removed by default
		fd.addrMu.Unlock()
	}
	return c, nil
}
