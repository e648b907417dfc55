package conntest

import (
	"context"
	"net"
	"testing"
)

// PacketNetwork is a model's ListenPacket, and its stream Network, for
// RunPacket.
type PacketNetwork struct {
	// ListenPacket is the model's ListenPacket: an unconnected datagram
	// socket on "udp", "udp4", "udp6" or "unixgram".
	ListenPacket func(network, address string) (net.PacketConn, error)
	// ListenPacketContext, if not nil, listens with the settings of lc
	// (its Control) through the model's ListenConfig.ListenPacket.
	ListenPacketContext func(ctx context.Context, lc *net.ListenConfig, network, address string) (net.PacketConn, error)
	// DialConn, if not nil, is the model's DialContext function (the one
	// that returns a net.Conn, for http.Transport and grpc's
	// WithContextDialer): on "udp" and "unixgram" what it returns must be
	// a net.PacketConn too, as net's Dial("udp") result is.
	DialConn func(ctx context.Context, network, address string) (net.Conn, error)
	// Network is the model's Dial and Listen, for the checks over a
	// stream: descriptor passing on "unix", http.ServeFile on "tcp".
	Network
}

// RunPacket checks a model's datagram sockets and its stream Conns'
// additions (issue 15), each check run on package net first, as the
// control (net.UDPConn, net.UnixConn, net.TCPConn), then on the model,
// and both must agree. On "udp" and "unixgram": the sender's address,
// truncation (n is what fit, the rest is discarded), empty datagrams,
// deadlines, Close unblocking ReadFrom, concurrent ReadFrom and WriteTo,
// batches that come back partly filled (net's side through
// golang.org/x/net/ipv4, on udp only), and bad input (a nil address, one
// of the wrong family, a unixgram path that is gone, a batch with an
// empty message) giving clear errors and leaking no descriptor. Over a
// "unix" stream: an open file and a socket passed with WriteMsgUnix and
// used on the other side, and a too-small control buffer giving
// MSG_CTRUNC and the descriptors that fit, as net's. Over "tcp": http.ServeFile of a 256 MiB
// file through the model's Listener, byte-exact, sent with sendfile(2)
// as the model's Stats().ZeroCopy shows.
func RunPacket(t *testing.T, pn PacketNetwork) { runPacket(t, pn) }
