// Package loopio holds what the tool's loop-shape handlers share: a Write
// that loses nothing when the connection's write queue is at its high
// watermark, and the echo handler.
//
// It is part of the iomodel tool; it is not an API of the library.
package loopio

import (
	"errors"

	"github.com/iomodel/iomodel"
)

// held is a connection's context while output waits for its write queue
// to drain below the low watermark (Write refused it with
// ErrBackpressure): later output queues behind it, so nothing is lost or
// reordered. A handler that uses Write keeps its own state elsewhere.
type held struct{ out []byte }

// Write writes p on c, or holds a copy of it, behind output already held,
// when c's write queue is at its high watermark; Drain sends it. Reading
// pauses at the high watermark, so what is held stays about one read's
// answer.
func Write(c iomodel.EventConn, p []byte) {
	if hd, ok := c.Context().(*held); ok && len(hd.out) > 0 {
		hd.out = append(hd.out, p...)
		return
	}
	if _, err := c.Write(p); errors.Is(err, iomodel.ErrBackpressure) {
		c.SetContext(&held{out: append([]byte(nil), p...)})
	}
}

// Drain writes what Write held; call it from the handler's OnDrain.
func Drain(c iomodel.EventConn) {
	hd, ok := c.Context().(*held)
	if !ok || len(hd.out) == 0 {
		return
	}
	if _, err := c.Write(hd.out); errors.Is(err, iomodel.ErrBackpressure) {
		return
	}
	c.SetContext(nil)
}

// Echo is the loop shape's echo server: OnData writes back what arrived
// and consumes all of it, so an idle connection holds nothing.
type Echo struct{}

// OnOpen implements iomodel.Handler.
func (Echo) OnOpen(c iomodel.EventConn) {}

// OnData implements iomodel.Handler.
func (Echo) OnData(c iomodel.EventConn, data []byte) int {
	Write(c, data)
	return len(data)
}

// OnDrain implements iomodel.DrainHandler.
func (Echo) OnDrain(c iomodel.EventConn) { Drain(c) }

// OnClose implements iomodel.Handler.
func (Echo) OnClose(c iomodel.EventConn, err error) { c.SetContext(nil) }
