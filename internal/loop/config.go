package loop

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/iomodel/iomodel"
)

// The defaults of iomodel.EngineConfig's zero fields.
const (
	DefaultReadBuffer   = 64 << 10
	DefaultHighWater    = 1 << 20
	DefaultLowWater     = 256 << 10
	DefaultFlushTimeout = 5 * time.Second
)

// Config returns cfg with its zero fields set to the defaults, or an error
// naming the model's NewEngine and the first field that is wrong: a
// negative value, or LowWater not below HighWater.
func Config(model string, cfg iomodel.EngineConfig) (iomodel.EngineConfig, error) {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%s.NewEngine: EngineConfig.%s is %v: %s", model, field, v, why)
	}
	switch {
	case cfg.Loops < 0:
		return cfg, bad("Loops", cfg.Loops, "negative (0 means one loop per CPU)")
	case cfg.ReadBuffer < 0:
		return cfg, bad("ReadBuffer", cfg.ReadBuffer, "negative (0 means 64 KiB)")
	case cfg.HighWater < 0:
		return cfg, bad("HighWater", cfg.HighWater, "negative (0 means 1 MiB)")
	case cfg.LowWater < 0:
		return cfg, bad("LowWater", cfg.LowWater, "negative (0 means 256 KiB)")
	case cfg.IdleTimeout < 0:
		return cfg, bad("IdleTimeout", cfg.IdleTimeout, "negative (0 means never)")
	case cfg.FlushTimeout < 0:
		return cfg, bad("FlushTimeout", cfg.FlushTimeout, "negative (0 means 5s)")
	}
	if cfg.Loops == 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = DefaultReadBuffer
	}
	switch {
	case cfg.HighWater == 0 && cfg.LowWater == 0:
		cfg.HighWater, cfg.LowWater = DefaultHighWater, DefaultLowWater
	case cfg.HighWater == 0:
		cfg.HighWater = DefaultHighWater
		if cfg.LowWater >= cfg.HighWater {
			return cfg, bad("LowWater", cfg.LowWater, fmt.Sprintf("not below HighWater (0 means %d)", DefaultHighWater))
		}
	case cfg.LowWater == 0:
		cfg.LowWater = min(DefaultLowWater, cfg.HighWater/4)
	}
	if cfg.LowWater >= cfg.HighWater {
		return cfg, bad("LowWater", cfg.LowWater, fmt.Sprintf("not below HighWater (%d)", cfg.HighWater))
	}
	if cfg.FlushTimeout == 0 {
		cfg.FlushTimeout = DefaultFlushTimeout
	}
	return cfg, nil
}

// ErrNilHandler is wrapped by NewEngine's error for a nil Handler.
var ErrNilHandler = errors.New("nil Handler")

// Detacher makes the model's goroutine-shaped Conn of a connected socket
// (the model's New): EventConn.Detach hands the descriptor to it. On
// success the net.Conn owns fd; on error the caller still does.
type Detacher func(fd int) (net.Conn, error)

// DetachTo makes a Detacher of a model's constructor: on error it answers
// a nil net.Conn, never a nil *Conn inside one.
func DetachTo[C net.Conn](newConn func(fd int) (C, error)) Detacher {
	return func(fd int) (net.Conn, error) {
		c, err := newConn(fd)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
