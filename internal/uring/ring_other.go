//go:build !linux

package uring

import (
	"strconv"
	"syscall"

	"github.com/iomodel/iomodel/internal/platform"
)

// New fails off Linux: io_uring is Linux's. The error, platform.Unsupported's,
// names the model and the platform and wraps errors.ErrUnsupported. No Ring
// exists here, so the functions below, which only a Ring would call, never run.
func New(Config) (*Ring, error) { return nil, platform.Unsupported("async", "NewRing") }

func (r *Ring) wake() {}

func errnoName(e syscall.Errno) string { return "errno " + strconv.Itoa(int(e)) }
