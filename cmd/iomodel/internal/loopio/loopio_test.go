package loopio

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeConn collects what is written and refuses writes with
// ErrBackpressure while full is set, as an Engine's connection does at its
// high watermark.
type fakeConn struct {
	written bytes.Buffer
	full    bool
	ctx     any
}

func (c *fakeConn) Write(p []byte) (int, error) {
	if c.full {
		return 0, iomodel.ErrBackpressure
	}
	return c.written.Write(p)
}
func (c *fakeConn) Close() error                       { return nil }
func (c *fakeConn) LocalAddr() net.Addr                { return nil }
func (c *fakeConn) RemoteAddr() net.Addr               { return nil }
func (c *fakeConn) SetContext(v any)                   { c.ctx = v }
func (c *fakeConn) Context() any                       { return c.ctx }
func (c *fakeConn) SetReadDeadline(time.Time) error    { return nil }
func (c *fakeConn) SetIdleTimeout(time.Duration) error { return nil }
func (c *fakeConn) Queued() int                        { return 0 }
func (c *fakeConn) Stats() iomodel.Stats               { return iomodel.Stats{} }
func (c *fakeConn) Detach() (net.Conn, error)          { return nil, errors.New("not here") }

var _ iomodel.DrainHandler = Echo{}

// TestEchoBackpressure: what the write queue refuses is held, in order,
// behind nothing else, and goes out on OnDrain; then the context is free.
func TestEchoBackpressure(t *testing.T) {
	c := &fakeConn{}
	var h Echo
	h.OnOpen(c)
	if n := h.OnData(c, []byte("one ")); n != 4 {
		t.Fatalf("consumed %d", n)
	}
	c.full = true
	h.OnData(c, []byte("two "))
	c.full = false
	h.OnData(c, []byte("three ")) // queues behind two, though Write would take it
	if got := c.written.String(); got != "one " {
		t.Fatalf("written %q before OnDrain, want %q", got, "one ")
	}
	c.full = true
	h.OnDrain(c) // still full: nothing moves
	c.full = false
	h.OnDrain(c)
	h.OnData(c, []byte("four"))
	if got, want := c.written.String(), "one two three four"; got != want || c.ctx != nil {
		t.Errorf("written %q, context %v; want %q and none", got, c.ctx, want)
	}
	h.OnClose(c, nil)
}
