// Package platform says where the models run. The module compiles on every
// Go port, so that a program that imports it builds everywhere; the models
// themselves need Linux (epoll, signalfd, F_SETSIG, io_uring and
// Linux's socket options), and off Linux every constructor returns the
// error Unsupported makes.
package platform

import (
	"errors"
	"fmt"
	"runtime"
)

// Supported reports whether the models run on this build's platform: Linux,
// on every architecture Go supports there.
const Supported = supported

// Unsupported is the error of a model's constructor on a platform the model
// does not run on. It names the model (blocking, nonblock, multiplex,
// sigdriven, async), the function and the platform the program was built for,
// and wraps errors.ErrUnsupported.
func Unsupported(model, fn string) error {
	return unsupported(model, fn, runtime.GOOS, runtime.GOARCH)
}

// Error is the error Unsupported returns.
type Error struct {
	Model  string // the model package: "multiplex", ...
	Func   string // the constructor: "New", "Dial", "Listen", "NewPoller", ...
	GOOS   string // the platform the program was built for
	GOARCH string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s.%s: the %s model runs on Linux only, and this program was built for %s/%s: %v",
		e.Model, e.Func, e.Model, e.GOOS, e.GOARCH, errors.ErrUnsupported)
}

// Unwrap makes errors.Is(err, errors.ErrUnsupported) true.
func (e *Error) Unwrap() error { return errors.ErrUnsupported }

func unsupported(model, fn, goos, goarch string) error {
	return &Error{Model: model, Func: fn, GOOS: goos, GOARCH: goarch}
}
