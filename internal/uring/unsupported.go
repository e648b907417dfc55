package uring

import (
	"errors"
	"syscall"
)

// UnsupportedError says why io_uring cannot be used here and what to do about
// it. It wraps errors.ErrUnsupported and, when there is one, the errno that
// io_uring_setup(2) or io_uring_register(2) returned.
type UnsupportedError struct {
	Errno syscall.Errno // 0 when a feature or opcode is missing
	Cause string        // what refused io_uring
	Fix   string        // what the operator can do
}

func (e *UnsupportedError) Error() string {
	s := "io_uring unavailable: " + e.Cause
	if e.Errno != 0 {
		s += " (" + errnoName(e.Errno) + ": " + e.Errno.Error() + ")"
	}
	return s + "; fix: " + e.Fix
}

// Unwrap returns errors.ErrUnsupported and the errno, so errors.Is matches
// either.
func (e *UnsupportedError) Unwrap() []error {
	if e.Errno != 0 {
		return []error{errors.ErrUnsupported, e.Errno}
	}
	return []error{errors.ErrUnsupported}
}

// RequiredOps are the opcodes the models use; IORING_REGISTER_PROBE must
// report every one of them.
var RequiredOps = []uint8{
	IORING_OP_NOP, IORING_OP_SEND, IORING_OP_RECV, IORING_OP_READ, IORING_OP_WRITE,
	IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
}

// setupHook, when set, replaces the io_uring_setup(2) system call. Tests use it
// (through ForceSetupError) to drive the unsupported path on kernels where
// io_uring works.
var setupHook func(entries uint32, p *io_uring_params) (int, error)

// ForceSetupError makes every following io_uring_setup fail with errno until
// the returned restore function is called. It exists for tests (of this
// package and of the models built on it); it is not safe to call while rings
// are being created concurrently.
func ForceSetupError(errno syscall.Errno) (restore func()) {
	old := setupHook
	setupHook = func(uint32, *io_uring_params) (int, error) { return -1, errno }
	return func() { setupHook = old }
}
