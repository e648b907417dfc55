package sock

import (
	"net"
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The conversions between raw sockaddrs (what recvmsg(2) fills in and
// sendmsg(2) reads) and Go's address types, in place and without
// allocating: the datagram calls run them once per datagram.

// putPort stores port in network byte order.
func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// getPort reads a port stored in network byte order.
func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// PutAddrPort lays ap out in raw for a socket of family (AF_INET or
// AF_INET6) and returns its length: an IPv4 address goes to an AF_INET6
// socket in its v4-mapped form, as package net sends it. An address the
// family cannot hold fails with the *net.AddrError net gives for it
// ("non-IPv4 address" for an IPv6 one on AF_INET).
func PutAddrPort(raw *unix.RawSockaddrAny, family int, ap netip.AddrPort) (uint32, error) {
	ip := ap.Addr()
	switch family {
	case unix.AF_INET:
		if !ip.Is4() && !ip.Is4In6() {
			return 0, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		*r = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
		putPort(&r.Port, ap.Port())
		return unix.SizeofSockaddrInet4, nil
	case unix.AF_INET6:
		if !ip.IsValid() {
			return 0, &net.AddrError{Err: "non-IPv6 address", Addr: ip.String()}
		}
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		*r = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			r.Scope_id = zoneID(z)
		}
		putPort(&r.Port, ap.Port())
		return unix.SizeofSockaddrInet6, nil
	}
	return 0, &net.AddrError{Err: "invalid address family", Addr: ip.String()}
}

// PutUnix lays a Unix-domain socket name out in raw ("@name" is the
// abstract namespace, unix(7)) and returns its length. A name that is
// empty or does not fit sun_path fails with EINVAL, bare, the errno
// net's sendto gets for it: the caller names the call.
func PutUnix(raw *unix.RawSockaddrAny, name string) (uint32, error) {
	r := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
	if len(name) == 0 || len(name) >= len(r.Path) {
		return 0, unix.EINVAL
	}
	r.Family = unix.AF_UNIX
	for i := 0; i < len(name); i++ {
		r.Path[i] = int8(name[i])
	}
	n := uint32(2 + len(name) + 1)
	if name[0] == '@' {
		r.Path[0] = 0
		n-- // abstract: no NUL at the end
	} else {
		r.Path[len(name)] = 0
	}
	return n, nil
}

// AddrPortOf reads an AF_INET or AF_INET6 raw sockaddr of length n; ok is
// false for anything else. An IPv6 scope comes back as a numeric zone only
// when non-zero (the name lookup would allocate; AddrOf names it).
func AddrPortOf(raw *unix.RawSockaddrAny, n uint32) (ap netip.AddrPort, ok bool) {
	switch {
	case raw.Addr.Family == unix.AF_INET && n >= unix.SizeofSockaddrInet4:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		return netip.AddrPortFrom(netip.AddrFrom4(r.Addr), getPort(&r.Port)), true
	case raw.Addr.Family == unix.AF_INET6 && n >= unix.SizeofSockaddrInet6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		ip := netip.AddrFrom16(r.Addr)
		if r.Scope_id != 0 {
			ip = ip.WithZone(zoneName(r.Scope_id))
		}
		return netip.AddrPortFrom(ip, getPort(&r.Port)), true
	}
	return netip.AddrPort{}, false
}

// UnixNameOf reads an AF_UNIX raw sockaddr of length n as package net
// names it: "" for an unnamed socket (n too short to hold a name), "@..."
// for the abstract namespace.
func UnixNameOf(raw *unix.RawSockaddrAny, n uint32) string {
	if raw.Addr.Family != unix.AF_UNIX || n <= 2 {
		return ""
	}
	r := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
	l := int(n) - 2
	if l > len(r.Path) {
		l = len(r.Path)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&r.Path[0])), l)
	if b[0] == 0 {
		return "@" + string(b[1:])
	}
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// AddrOf converts a raw sockaddr of length n to the net.Addr package net
// returns for a socket of this type; nil for an unnamed or unknown one.
func AddrOf(sotype int, raw *unix.RawSockaddrAny, n uint32) net.Addr {
	if n == 0 {
		return nil
	}
	switch raw.Addr.Family {
	case unix.AF_INET, unix.AF_INET6:
		ap, ok := AddrPortOf(raw, n)
		if !ok {
			return nil
		}
		if sotype == unix.SOCK_DGRAM {
			return net.UDPAddrFromAddrPort(ap)
		}
		return net.TCPAddrFromAddrPort(ap)
	case unix.AF_UNIX:
		name := UnixNameOf(raw, n)
		if name == "" {
			return nil
		}
		return &net.UnixAddr{Name: name, Net: NetworkName(unix.AF_UNIX, sotype)}
	}
	return nil
}

// zoneName names an IPv6 scope: the interface's name, or its number.
func zoneName(id uint32) string {
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.Itoa(int(id))
}
