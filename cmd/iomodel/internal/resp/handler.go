package resp

import (
	"sync"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/loopio"
)

// Handler serves RESP from a model's Engine: the loop shape. OnData
// executes the whole commands among the bytes the loop hands it, writes
// their replies with one Write, and consumes only those commands, so the
// loop keeps a partial one for the next call. An idle connection holds
// nothing of the Handler's: the Session and reply buffer are lent from a
// pool for the length of one OnData. Replies the connection's write queue
// refuses at its high watermark are held and sent on OnDrain (loopio).
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

// OnOpen implements iomodel.Handler.
func (h *Handler) OnOpen(c iomodel.EventConn) {}

// OnData implements iomodel.Handler.
func (h *Handler) OnData(c iomodel.EventConn, data []byte) int {
	p := h.sessions.Get().(*pooled)
	out, n, err := p.s.Feed(p.out[:0], data)
	if len(out) > 0 {
		loopio.Write(c, out)
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

// OnDrain implements iomodel.DrainHandler: held replies go out.
func (h *Handler) OnDrain(c iomodel.EventConn) { loopio.Drain(c) }

// OnClose implements iomodel.Handler.
func (h *Handler) OnClose(c iomodel.EventConn, err error) { c.SetContext(nil) }
