package sock

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// NetworkName is the net package's name for a socket of this family and
// type: "tcp", "udp", "unix", "unixgram" or "unixpacket".
func NetworkName(family, sotype int) string {
	switch family {
	case unix.AF_INET, unix.AF_INET6:
		if sotype == unix.SOCK_DGRAM {
			return "udp"
		}
		return "tcp"
	case unix.AF_UNIX:
		switch sotype {
		case unix.SOCK_DGRAM:
			return "unixgram"
		case unix.SOCK_SEQPACKET:
			return "unixpacket"
		}
		return "unix"
	}
	return "socket"
}

// Addr converts a unix.Sockaddr to the net.Addr package net would return for
// a socket of this type: *net.TCPAddr, *net.UDPAddr or *net.UnixAddr. It
// returns nil for a nil or unknown address.
func Addr(sotype int, sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip := net.IP(append([]byte(nil), a.Addr[:]...))
		if sotype == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port}
	case *unix.SockaddrInet6:
		ip := net.IP(append([]byte(nil), a.Addr[:]...))
		zone := ""
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifi.Name
			} else {
				zone = strconv.Itoa(int(a.ZoneId))
			}
		}
		if sotype == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port, Zone: zone}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port, Zone: zone}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: NetworkName(unix.AF_UNIX, sotype)}
	}
	return nil
}
