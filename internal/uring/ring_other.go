//go:build !linux

package uring

import (
	"strconv"
	"syscall"

	"github.com/iomodel/iomodel/internal/platform"
)

// New fails off Linux, where there is no io_uring, with
// platform.Unsupported's error: it names the model and the platform and
// wraps errors.ErrUnsupported.
func New(c Config) (*Ring, error) { return nil, platform.Unsupported("async", "NewRing") }

// No Ring exists off Linux, so what follows, which only a Ring calls, never
// runs; it lets the platform-neutral files compile.

func (r *Ring) wake() {}

func errnoName(e syscall.Errno) string { return "errno " + strconv.Itoa(int(e)) }

func (q *Req) pinParts() {}
