package iofd

import (
	"net"
	"syscall"
)

// RawConn is syscall.RawConn over an FD, what net's SyscallConn returns:
// Control runs a function on the descriptor while the FD is kept open;
// Read and Write call f until it reports done, and between calls wait the
// model's way until the descriptor is readable or writable, under the
// direction's lock and deadline, as the FD's own Recv and Send do.
type RawConn struct{ fd *FD }

var _ syscall.RawConn = (*RawConn)(nil)

// RawConn is fd's syscall.RawConn.
func (fd *FD) RawConn() *RawConn { return &RawConn{fd} }

func (c *RawConn) opError(op string, err error) error {
	fd := c.fd
	fd.addrMu.Lock()
	src, dst := fd.laddr, fd.raddr
	fd.addrMu.Unlock()
	return &net.OpError{Op: op, Net: fd.network, Source: src, Addr: dst, Err: err}
}

// Control calls f with the descriptor, which stays open until f returns.
func (c *RawConn) Control(f func(fd uintptr)) error {
	if err := c.fd.Incref(); err != nil {
		// As net's: Control's error names the socket's own address as
		// Addr, and no Source.
		return &net.OpError{Op: "raw-control", Net: c.fd.network, Addr: c.fd.LocalAddr(), Err: err}
	}
	defer c.fd.Decref()
	f(uintptr(c.fd.Sysfd))
	return nil
}

// Read calls f until it returns true, waiting for readability between
// calls. It fails with the Conn's deadline or Close, as Recv does.
func (c *RawConn) Read(f func(fd uintptr) (done bool)) error {
	if err := c.fd.rawLoop(&c.fd.Read, f); err != nil {
		return c.opError("raw-read", err)
	}
	return nil
}

// Write calls f until it returns true, waiting for writability between
// calls.
func (c *RawConn) Write(f func(fd uintptr) (done bool)) error {
	if err := c.fd.rawLoop(&c.fd.Write, f); err != nil {
		return c.opError("raw-write", err)
	}
	return nil
}
