//go:build !linux

package iofd

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/iomodel/iomodel/internal/platform"
)

// Off Linux no FD is ever made: New fails, and so do Dial, Listen and
// CheckOpen, with platform's Unsupported error naming the model. The rest
// is here so that the module compiles; none of it can be reached.

func (fd *FD) setup(net.Addr) error { return platform.Unsupported(fd.Model, "New") }

func (fd *FD) release() {}

var errAgain, errWoken = errors.New("resource temporarily unavailable"), errors.New("interrupted")

func (fd *FD) deadlineSupported() error { return nil }

func (fd *FD) recv([]byte, bool) (int, error) { return 0, platform.Unsupported(fd.Model, "Read") }

func (fd *FD) send([]byte, bool) (int, error) { return 0, platform.Unsupported(fd.Model, "Write") }

// CheckOpen fails: no descriptor can be taken here.
func CheckOpen(model string, sysfd int) error { return platform.Unsupported(model, "New") }

// CloseWrite fails: no FD exists here.
func (fd *FD) CloseWrite() error { return platform.Unsupported(fd.Model, "CloseWrite") }

// CloseRead fails: no FD exists here.
func (fd *FD) CloseRead() error { return platform.Unsupported(fd.Model, "CloseRead") }

// Opener turns a fresh socket into a model's connection or listener.
type Opener[T any] func(sysfd int, remote net.Addr) (T, *FD, error)

// Accept fails with platform's Unsupported error.
func Accept[T any](l *FD, open Opener[T]) (T, error) {
	var zero T
	return zero, platform.Unsupported(l.Model, "Accept")
}

// TryAccept fails with platform's Unsupported error.
func TryAccept[T any](l *FD, open Opener[T]) (T, error) {
	var zero T
	return zero, platform.Unsupported(l.Model, "TryAccept")
}

// YieldSpins is the readiness models' retries before they park.
const YieldSpins = 2

// ShouldYield is false: there is nothing to wait for here.
func ShouldYield(attempt int) bool { return false }

// Crowded is false here.
func Crowded() bool { return false }

// YieldThread does nothing here.
func YieldThread() {}

// ShutdownBusy does nothing here.
func (fd *FD) ShutdownBusy() {}

func (fd *FD) rawLoop(*Half, func(uintptr) bool) error {
	return platform.Unsupported(fd.Model, "SyscallConn")
}

// DialContext fails with platform's Unsupported error.
func DialContext[T any](ctx context.Context, d *DialConfig, model, network, address string, open Opener[T]) (T, error) {
	var zero T
	return zero, &net.OpError{Op: "dial", Net: network, Err: platform.Unsupported(model, "Dial")}
}

// ListenContext fails with platform's Unsupported error.
func ListenContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	var zero T
	return zero, &net.OpError{Op: "listen", Net: network, Err: platform.Unsupported(model, "Listen")}
}

// SetUnlinkOnClose does nothing here.
func (fd *FD) SetUnlinkOnClose(bool) {}

// The socket options fail here: no FD exists.

func (fd *FD) SetNoDelay(bool) error   { return platform.Unsupported(fd.Model, "SetNoDelay") }
func (fd *FD) SetKeepAlive(bool) error { return platform.Unsupported(fd.Model, "SetKeepAlive") }
func (fd *FD) SetKeepAlivePeriod(time.Duration) error {
	return platform.Unsupported(fd.Model, "SetKeepAlivePeriod")
}
func (fd *FD) SetKeepAliveConfig(net.KeepAliveConfig) error {
	return platform.Unsupported(fd.Model, "SetKeepAliveConfig")
}
func (fd *FD) SetLinger(int) error      { return platform.Unsupported(fd.Model, "SetLinger") }
func (fd *FD) SetReadBuffer(int) error  { return platform.Unsupported(fd.Model, "SetReadBuffer") }
func (fd *FD) SetWriteBuffer(int) error { return platform.Unsupported(fd.Model, "SetWriteBuffer") }

// File fails here: no FD exists.
func (fd *FD) File() (*os.File, error) { return nil, platform.Unsupported(fd.Model, "File") }

// The datagram, descriptor-passing, vector, batch and zero-copy calls fail
// here: no FD exists.

type msgState struct{}

// ListenPacket fails with platform's Unsupported error.
func ListenPacket[T any](model, network, address string, open Opener[T]) (T, error) {
	var zero T
	return zero, &net.OpError{Op: "listen", Net: network, Err: platform.Unsupported(model, "ListenPacket")}
}

// ListenPacketContext fails with platform's Unsupported error.
func ListenPacketContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	return ListenPacket(model, network, address, open)
}

func (fd *FD) ReadFrom([]byte) (int, net.Addr, error) {
	return 0, nil, platform.Unsupported(fd.Model, "ReadFrom")
}
func (fd *FD) ReadFromUDP([]byte) (int, *net.UDPAddr, error) {
	return 0, nil, platform.Unsupported(fd.Model, "ReadFromUDP")
}
func (fd *FD) ReadFromUDPAddrPort([]byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, platform.Unsupported(fd.Model, "ReadFromUDPAddrPort")
}
func (fd *FD) ReadMsgUDP(p, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	return 0, 0, 0, nil, platform.Unsupported(fd.Model, "ReadMsgUDP")
}
func (fd *FD) ReadMsgUDPAddrPort(p, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	return 0, 0, 0, netip.AddrPort{}, platform.Unsupported(fd.Model, "ReadMsgUDPAddrPort")
}
func (fd *FD) WriteTo([]byte, net.Addr) (int, error) {
	return 0, platform.Unsupported(fd.Model, "WriteTo")
}
func (fd *FD) WriteToUDP([]byte, *net.UDPAddr) (int, error) {
	return 0, platform.Unsupported(fd.Model, "WriteToUDP")
}
func (fd *FD) WriteToUDPAddrPort([]byte, netip.AddrPort) (int, error) {
	return 0, platform.Unsupported(fd.Model, "WriteToUDPAddrPort")
}
func (fd *FD) WriteMsgUDP(p, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	return 0, 0, platform.Unsupported(fd.Model, "WriteMsgUDP")
}
func (fd *FD) WriteMsgUDPAddrPort(p, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	return 0, 0, platform.Unsupported(fd.Model, "WriteMsgUDPAddrPort")
}
func (fd *FD) ReadMsgUnix(p, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error) {
	return 0, 0, 0, nil, platform.Unsupported(fd.Model, "ReadMsgUnix")
}
func (fd *FD) WriteMsgUnix(p, oob []byte, addr *net.UnixAddr) (n, oobn int, err error) {
	return 0, 0, platform.Unsupported(fd.Model, "WriteMsgUnix")
}
func (fd *FD) Writev([][]byte) (int64, error) { return 0, platform.Unsupported(fd.Model, "Writev") }
func (fd *FD) ReadBatch([]Message, int) (int, error) {
	return 0, platform.Unsupported(fd.Model, "ReadBatch")
}
func (fd *FD) WriteBatch([]Message, int) (int, error) {
	return 0, platform.Unsupported(fd.Model, "WriteBatch")
}

// SendFile is not handled here: the caller copies.
func (fd *FD) SendFile(io.Reader) (int64, bool, error) { return 0, false, nil }

// SpliceTo is not handled here: the caller copies.
func (fd *FD) SpliceTo(io.Writer) (int64, bool, error) { return 0, false, nil }

func (fd *FD) SetGSO(int) error  { return platform.Unsupported(fd.Model, "SetGSO") }
func (fd *FD) SetGRO(bool) error { return platform.Unsupported(fd.Model, "SetGRO") }

func (c *Call) Sys(*FD, *Half) (int, error) { return 0, errAgain }
