package iofd

import (
	"context"
	"net"
)

// IsDatagram reports whether network names a datagram socket ("udp",
// "udp4", "udp6", "unixgram"): what net's Dial returns as a *net.UDPConn
// or a datagram *net.UnixConn, a net.Conn and a net.PacketConn at once.
func IsDatagram(network string) bool {
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		return true
	}
	return false
}

// DialPacketContext is every model's Dialer.DialPacket: DialContext on a
// datagram network, whose socket the model's open makes a PacketConn.
// Another network fails before any socket is made, as net.DialUDP's does:
// a *net.OpError with Op "dial" around net.UnknownNetworkError.
func DialPacketContext[T any](ctx context.Context, d *DialConfig, model, network, address string, open Opener[T]) (T, error) {
	if !IsDatagram(network) {
		var zero T
		return zero, &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Err: net.UnknownNetworkError(network)}
	}
	return DialContext(ctx, d, model, network, address, open)
}
