package sock

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Target is a resolved network address: everything socket(2) and
// connect(2)/bind(2) need.
type Target struct {
	Network string // the network as the caller named it ("tcp4", "unix", ...)
	Family  int    // AF_INET, AF_INET6 or AF_UNIX
	Type    int    // SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
	Addr    unix.Sockaddr
}

// Resolve turns a network and an address, as net.Dial and net.Listen take
// them, into a Target. Host names are looked up with the standard resolver;
// for "tcp" and "udp" an IPv4 address is preferred, as net.Dial does first.
// passive is true for Listen, where an empty host means every address
// and an empty Unix-domain name an autobound one.
func Resolve(network, address string, passive bool) (Target, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		a, err := net.ResolveTCPAddr(network, address)
		if err != nil {
			return Target{}, err
		}
		return ipTarget(network, unix.SOCK_STREAM, a.AddrPort(), a.IP == nil, passive)
	case "udp", "udp4", "udp6":
		a, err := net.ResolveUDPAddr(network, address)
		if err != nil {
			return Target{}, err
		}
		return ipTarget(network, unix.SOCK_DGRAM, a.AddrPort(), a.IP == nil, passive)
	case "unix", "unixgram", "unixpacket":
		if address == "" && !passive {
			return Target{}, &net.AddrError{Err: "missing unix socket path", Addr: address}
		}
		// An empty name to Listen is bind(2)'s autobind (unix(7)): the
		// kernel picks an abstract name, as net's Listen and
		// ListenPacket do.
		t := map[string]int{"unix": unix.SOCK_STREAM, "unixgram": unix.SOCK_DGRAM, "unixpacket": unix.SOCK_SEQPACKET}[network]
		return Target{Network: network, Family: unix.AF_UNIX, Type: t, Addr: &unix.SockaddrUnix{Name: address}}, nil
	}
	return Target{}, net.UnknownNetworkError(network)
}

// ResolveListen is Resolve for Listen and ListenPacket. As net's, a plain
// "tcp" or "udp" wildcard (no host, 0.0.0.0 or ::) is the IPv6
// any-address, for a socket that takes IPv4 too (net's
// favoriteAddrFamily: Listen clears IPV6_V6ONLY, ipv6(7), and falls back
// to IPv4 where the host cannot map IPv4 addresses).
func ResolveListen(network, address string) (Target, error) {
	t, err := Resolve(network, address, true)
	if err != nil {
		return t, err
	}
	last := network[len(network)-1]
	if a, ok := t.Addr.(*unix.SockaddrInet4); ok && a.Addr == [4]byte{} && last != '4' && last != '6' {
		t.Family, t.Addr = unix.AF_INET6, &unix.SockaddrInet6{Port: a.Port}
	}
	return t, nil
}

func ipTarget(network string, sotype int, ap netip.AddrPort, noHost, passive bool) (Target, error) {
	ip := ap.Addr().Unmap()
	port := int(ap.Port())
	if noHost {
		// An empty host: every address for Listen, the loopback for Dial
		// (as net.Dial does). Listen on plain "tcp" or "udp" takes IPv6's
		// any-address, which also accepts IPv4 (ipv6(7), IPV6_V6ONLY off),
		// as net.Listen does; Listen falls back to IPv4 where the host
		// has no IPv6.
		switch last := network[len(network)-1]; {
		case last == '6' || passive && last != '4':
			ip = netip.IPv6Unspecified()
		default:
			ip = netip.IPv4Unspecified()
		}
		if !passive {
			if network[len(network)-1] == '6' {
				ip = netip.IPv6Loopback()
			} else {
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			}
		}
	}
	last := network[len(network)-1]
	if ip.Is4() && last != '6' {
		return Target{Network: network, Family: unix.AF_INET, Type: sotype, Addr: &unix.SockaddrInet4{Port: port, Addr: ip.As4()}}, nil
	}
	if ip.Is6() && last != '4' {
		return Target{Network: network, Family: unix.AF_INET6, Type: sotype, Addr: &unix.SockaddrInet6{Port: port, Addr: ip.As16(), ZoneId: zoneID(ip.Zone())}}, nil
	}
	return Target{}, &net.AddrError{Err: fmt.Sprintf("address family does not match network %q", network), Addr: ip.String()}
}

func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// ResolveDial is Resolve for Dial with a context: a host name is looked up
// with r (net.DefaultResolver when nil), which honours ctx, and every
// address of the network's family is returned, in the resolver's order
// (RFC 6724's), for Dial to try in turn as net.Dial does.
func ResolveDial(ctx context.Context, r *net.Resolver, network, address string) ([]Target, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		t, err := Resolve(network, address, false)
		if err != nil {
			return nil, err
		}
		return []Target{t}, nil
	}
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = net.DefaultResolver
	}
	base := network[:3]
	port, err := r.LookupPort(ctx, base, service)
	if err != nil {
		return nil, err
	}
	sotype := unix.SOCK_STREAM
	if base == "udp" {
		sotype = unix.SOCK_DGRAM
	}
	if host == "" {
		t, err := ipTarget(network, sotype, netip.AddrPortFrom(netip.Addr{}, uint16(port)), true, false)
		return []Target{t}, err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		t, err := ipTarget(network, sotype, netip.AddrPortFrom(ip, uint16(port)), false, false)
		return []Target{t}, err
	}
	ipnet := "ip" + network[3:]
	ips, err := r.LookupNetIP(ctx, ipnet, host)
	if err != nil {
		return nil, err
	}
	var ts []Target
	for _, ip := range ips {
		if t, err := ipTarget(network, sotype, netip.AddrPortFrom(ip, uint16(port)), false, false); err == nil {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: host}
	}
	return ts, nil
}
