//go:build !linux

package iofd

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/iomodel/iomodel/internal/platform"
)

// Off Linux no FD is ever made: New fails, and so do Dial, Listen and
// CheckOpen, with platform's Unsupported error naming the model. The rest
// is here so that the module compiles; none of it can be reached.

func (fd *FD) setup(net.Addr) error { return platform.Unsupported(fd.Model, "New") }

func (fd *FD) release() {}

func (fd *FD) deadlineSupported() error { return nil }

func (fd *FD) recv([]byte, Waiter) (int, error) { return 0, platform.Unsupported(fd.Model, "Read") }

func (fd *FD) send([]byte, Waiter) (int, error) { return 0, platform.Unsupported(fd.Model, "Write") }

// CheckOpen fails: no descriptor can be taken here.
func CheckOpen(model string, sysfd int) error { return platform.Unsupported(model, "New") }

// CloseWrite fails: no FD exists here.
func (fd *FD) CloseWrite() error { return platform.Unsupported(fd.Model, "CloseWrite") }

// CloseRead fails: no FD exists here.
func (fd *FD) CloseRead() error { return platform.Unsupported(fd.Model, "CloseRead") }

// Opener turns a fresh socket into a model's connection or listener.
type Opener[T any] func(sysfd int, remote net.Addr) (T, *FD, error)

// Dial fails with platform's Unsupported error.
func Dial[T any](model, network, address string, open Opener[T]) (T, error) {
	var zero T
	return zero, &net.OpError{Op: "dial", Net: network, Err: platform.Unsupported(model, "Dial")}
}

// Listen fails with platform's Unsupported error.
func Listen[T any](model, network, address string, open Opener[T]) (T, error) {
	var zero T
	return zero, &net.OpError{Op: "listen", Net: network, Err: platform.Unsupported(model, "Listen")}
}

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
	return Dial(model, network, address, open)
}

// ListenContext fails with platform's Unsupported error.
func ListenContext[T any](ctx context.Context, lc *ListenConfig, model, network, address string, open Opener[T]) (T, error) {
	return Listen(model, network, address, open)
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
