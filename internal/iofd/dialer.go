package iofd

import (
	"context"
	"net"
	"syscall"
	"time"
)

// DialConfig is a model's Dialer, as iofd takes it: the fields of
// net.Dialer that the models honour, with net's meanings.
type DialConfig struct {
	Timeout         time.Duration
	Deadline        time.Time
	LocalAddr       net.Addr
	KeepAlive       time.Duration
	KeepAliveConfig net.KeepAliveConfig
	Control         func(network, address string, c syscall.RawConn) error
	ControlContext  func(ctx context.Context, network, address string, c syscall.RawConn) error
	Resolver        *net.Resolver
	FallbackDelay   time.Duration
}

// deadline is the earliest of the Timeout, the Deadline and ctx's, as
// net.Dialer's.
func (d *DialConfig) deadline(ctx context.Context, now time.Time) (earliest time.Time) {
	if d.Timeout != 0 {
		earliest = now.Add(d.Timeout)
	}
	if dl, ok := ctx.Deadline(); ok && (earliest.IsZero() || dl.Before(earliest)) {
		earliest = dl
	}
	if !d.Deadline.IsZero() && (earliest.IsZero() || d.Deadline.Before(earliest)) {
		earliest = d.Deadline
	}
	return earliest
}

// ListenConfig is a model's ListenConfig, as iofd takes it.
type ListenConfig struct {
	Control         func(network, address string, c syscall.RawConn) error
	KeepAlive       time.Duration
	KeepAliveConfig net.KeepAliveConfig
}

// The errors of a cancelled or timed-out dial, as package net gives them:
// the same text, and errors.Is reports context.Canceled or
// context.DeadlineExceeded (net's own values are unexported).
var (
	errCanceled error = canceledError{}
	errTimeout  error = timeoutError{}
)

type canceledError struct{}

func (canceledError) Error() string     { return "operation was canceled" }
func (canceledError) Is(err error) bool { return err == context.Canceled }
func (canceledError) Timeout() bool     { return false }
func (canceledError) Temporary() bool   { return false }
func (timeoutError) Error() string      { return "i/o timeout" }
func (timeoutError) Is(err error) bool  { return err == context.DeadlineExceeded }
func (timeoutError) Timeout() bool      { return true }
func (timeoutError) Temporary() bool    { return true }

type timeoutError struct{}

// mapCtxErr is net's mapErr: a context's error as net's dial reports it.
func mapCtxErr(err error) error {
	switch err {
	case context.Canceled:
		return errCanceled
	case context.DeadlineExceeded:
		return errTimeout
	}
	return err
}
