package resp

import (
	"errors"
	"sync"

	"github.com/iomodel/iomodel"
)

// Handler serves RESP from a model's Engine: the loop shape. OnData
// executes the whole commands among the bytes the loop hands it, writes
// their replies with one Write, and consumes only those commands, so the
// loop keeps a partial one for the next call. An idle connection holds
// nothing of the Handler's: the Session and reply buffer are lent from a
// pool for the length of one OnData.
type Handler struct {
	store    *Store
	sessions sync.Pool
}

// NewHandler returns a Handler on store.
func NewHandler(store *Store) *Handler {
	h := &Handler{store: store}
	h.sessions.New = func() any { return &pooled{s: NewSession(store)} }
	return h
}

type pooled struct {
	s   *Session
	out []byte
}

// held is the connection's context while replies wait for the write queue
// to drain below its low watermark (Write refused them with
// ErrBackpressure): later replies queue behind them, so none is lost or
// reordered.
type held struct{ out []byte }

// OnOpen implements iomodel.Handler.
func (h *Handler) OnOpen(c iomodel.EventConn) {}

// OnData implements iomodel.Handler.
func (h *Handler) OnData(c iomodel.EventConn, data []byte) int {
	p := h.sessions.Get().(*pooled)
	out, n, err := p.s.Feed(p.out[:0], data)
	if len(out) > 0 {
		h.write(c, out)
	}
	if cap(out) <= 64<<10 {
		p.out = out[:0]
	} else {
		p.out = nil // a large reply passed: let its buffer go
	}
	h.sessions.Put(p)
	if err != nil {
		c.Close() // flushes the error or QUIT's +OK first
	}
	return n
}

// write writes out, or holds it (copied) behind replies already held.
func (h *Handler) write(c iomodel.EventConn, out []byte) {
	if hd, ok := c.Context().(*held); ok && len(hd.out) > 0 {
		hd.out = append(hd.out, out...)
		return
	}
	if _, err := c.Write(out); errors.Is(err, iomodel.ErrBackpressure) {
		c.SetContext(&held{out: append([]byte(nil), out...)})
	}
}

// OnDrain implements iomodel.DrainHandler: the held replies go out.
func (h *Handler) OnDrain(c iomodel.EventConn) {
	hd, ok := c.Context().(*held)
	if !ok || len(hd.out) == 0 {
		return
	}
	if _, err := c.Write(hd.out); errors.Is(err, iomodel.ErrBackpressure) {
		return
	}
	c.SetContext(nil)
}

// OnClose implements iomodel.Handler.
func (h *Handler) OnClose(c iomodel.EventConn, err error) { c.SetContext(nil) }
