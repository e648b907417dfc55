//go:build !linux

package nonblock

import "errors"

// pollFd is struct pollfd. Off Linux no Conn exists, so nothing waits.
type pollFd struct {
	Fd      int32
	Events  int16
	Revents int16
}

const (
	pollIn  = 0x1
	pollOut = 0x4
	pollErr = 0x8
)

func poll([]pollFd) (int, error) { return 0, errors.ErrUnsupported }
