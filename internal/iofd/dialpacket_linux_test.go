package iofd

import (
	"context"
	"errors"
	"net"
	"testing"
)

// TestDialPacketStreamNetwork: DialPacket on a network that is not a
// datagram one fails before any socket is made, as net.DialUDP("tcp")
// does: an *net.OpError, Op "dial", around net.UnknownNetworkError.
func TestDialPacketStreamNetwork(t *testing.T) {
	open := func(int, net.Addr) (int, *FD, error) {
		t.Error("the opener ran for a stream network")
		return 0, nil, errors.New("opened")
	}
	for _, network := range []string{"tcp", "unix", "unixpacket", "ip4", ""} {
		_, err := DialPacketContext(context.Background(), &DialConfig{}, "test", network, "127.0.0.1:1", open)
		var oe *net.OpError
		var une net.UnknownNetworkError
		if !errors.As(err, &oe) || oe.Op != "dial" || oe.Net != network || !errors.As(err, &une) {
			t.Errorf("DialPacketContext(%q) = %v; want an *net.OpError dial %s around net.UnknownNetworkError", network, err, network)
		}
	}
	_, nerr := net.DialUDP("tcp", nil, &net.UDPAddr{})
	t.Logf("net.DialUDP(tcp): %v", nerr)
}
