//go:build !linux

package loop

import (
	"errors"
	"net"

	"github.com/iomodel/iomodel/internal/platform"
)

// Off Linux no Engine is ever started (each model's NewEngine returns
// platform's Unsupported error); these keep the package compiling.

var (
	errEAGAIN = errors.New("EAGAIN")
	errEINTR  = errors.New("EINTR")
)

func recvfrom(int, []byte) (int, error) { return 0, errors.ErrUnsupported }
func sendto(int, []byte) (int, error)   { return 0, errors.ErrUnsupported }
func closeFD(int)                       {}

// sockaddr is sys_linux.go's; off Linux nothing accepts.
type sockaddr struct{}

// DupListener fails off Linux.
func DupListener(model string, _ net.Listener) (*Listener, error) {
	return nil, platform.Unsupported(model, "Serve")
}

// Accept fails off Linux.
func (l *Listener) Accept() (int, net.Addr, net.Addr, error) {
	return -1, nil, nil, errors.ErrUnsupported
}

// Close does nothing off Linux.
func (l *Listener) Close() error { return nil }

// ConnAddrs returns nothing off Linux.
func ConnAddrs(int) (net.Addr, net.Addr) { return nil, nil }

func (l *Listener) Accepted(int) (net.Addr, net.Addr) { return nil, nil }
