// Package loopiotest has a stand-in for an Engine's connection, for the
// tests of the tool's loop-shape handlers.
package loopiotest

import (
	"bytes"
	"errors"
	"net"
	"time"

	"github.com/iomodel/iomodel"
)

// Recorder is an iomodel.EventConn that keeps what is written; while Full
// is set, Write refuses with ErrBackpressure, as an Engine's connection
// does at its high watermark. It is not safe for concurrent use.
type Recorder struct {
	Written bytes.Buffer
	Full    bool
	Closed  bool
	ctx     any
}

// Write implements iomodel.EventConn.
func (c *Recorder) Write(p []byte) (int, error) {
	switch {
	case c.Closed:
		return 0, net.ErrClosed
	case c.Full:
		return 0, iomodel.ErrBackpressure
	}
	return c.Written.Write(p)
}

// Close implements iomodel.EventConn.
func (c *Recorder) Close() error { c.Closed = true; return nil }

// LocalAddr implements iomodel.EventConn.
func (c *Recorder) LocalAddr() net.Addr { return nil }

// RemoteAddr implements iomodel.EventConn.
func (c *Recorder) RemoteAddr() net.Addr { return nil }

// SetContext implements iomodel.EventConn.
func (c *Recorder) SetContext(v any) { c.ctx = v }

// Context implements iomodel.EventConn.
func (c *Recorder) Context() any { return c.ctx }

// SetReadDeadline implements iomodel.EventConn.
func (c *Recorder) SetReadDeadline(time.Time) error { return nil }

// SetIdleTimeout implements iomodel.EventConn.
func (c *Recorder) SetIdleTimeout(time.Duration) error { return nil }

// Queued implements iomodel.EventConn.
func (c *Recorder) Queued() int { return 0 }

// Stats implements iomodel.EventConn.
func (c *Recorder) Stats() iomodel.Stats { return iomodel.Stats{} }

// Detach implements iomodel.EventConn: a Recorder cannot.
func (c *Recorder) Detach() (net.Conn, error) {
	return nil, errors.New("loopiotest: a Recorder cannot detach")
}
