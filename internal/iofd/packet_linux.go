package iofd

import (
	"context"
	"net"
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
// *net.OpError with Op "listen" and the local address as Addr, as net's;
// the socket's later errors name network as the caller gave it ("udp4").
func ListenPacketContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	if network == "tcp" || network == "tcp4" || network == "tcp6" {
		var zero T
		return zero, streamAddrError(network, address)
	}
	c, fd, path, err := listen(ctx, lc, network, address, false, open, "udp", "udp4", "udp6", "unixgram")
	if err != nil {
		return c, err
	}
	if path != "" {
		fd.addrMu.Lock()
		fd.listenLocked().unixPath = path // for SetUnlinkOnClose(true); not removed by default
		fd.addrMu.Unlock()
	}
	return c, nil
}

// streamAddrError is net's ListenPacket's error for a stream network: it
// resolves the address, then refuses the *net.TCPAddr it got, "unexpected
// address type" (a resolver's error comes as net's does, with no Addr).
func streamAddrError(network, address string) error {
	la, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return &net.OpError{Op: "listen", Net: network, Addr: la, Err: &net.AddrError{Err: "unexpected address type", Addr: address}}
}
