package resp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// fakeConn is an EventConn that collects what is written, and refuses
// writes with ErrBackpressure while full is set, as an Engine's connection
// does at its high watermark.
type fakeConn struct {
	written bytes.Buffer
	full    bool
	closed  bool
	ctx     any
}

func (c *fakeConn) Write(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.full {
		return 0, iomodel.ErrBackpressure
	}
	return c.written.Write(p)
}
func (c *fakeConn) Close() error                       { c.closed = true; return nil }
func (c *fakeConn) LocalAddr() net.Addr                { return nil }
func (c *fakeConn) RemoteAddr() net.Addr               { return nil }
func (c *fakeConn) SetContext(v any)                   { c.ctx = v }
func (c *fakeConn) Context() any                       { return c.ctx }
func (c *fakeConn) SetReadDeadline(time.Time) error    { return nil }
func (c *fakeConn) SetIdleTimeout(time.Duration) error { return nil }
func (c *fakeConn) Queued() int                        { return 0 }
func (c *fakeConn) Stats() iomodel.Stats               { return iomodel.Stats{} }
func (c *fakeConn) Detach() (net.Conn, error)          { return nil, errors.New("not here") }

var _ iomodel.DrainHandler = (*Handler)(nil)

// TestHandler: driven as a loop drives it (the unconsumed bytes handed
// again in front of the next), with the write queue full now and then,
// the Handler writes the same replies as one whole Feed, in order.
func TestHandler(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 2))
		in := script(r, 300)
		want, _, _ := NewSession(NewStore()).Feed(nil, in)
		h := NewHandler(NewStore())
		c := &fakeConn{}
		h.OnOpen(c)
		var kept []byte
		for _, chunk := range chunks(r, in) {
			if c.full && r.IntN(3) == 0 {
				c.full = false
				h.OnDrain(c)
			}
			c.full = c.full || r.IntN(10) == 0
			data := append(kept, chunk...)
			n := h.OnData(c, data)
			kept = append([]byte(nil), data[n:]...)
		}
		c.full = false
		h.OnDrain(c)
		h.OnClose(c, nil)
		if !bytes.Equal(c.written.Bytes(), want) || len(kept) != 0 || c.closed {
			t.Fatalf("seed %d: %d bytes written, want %d (equal: %v); %d kept; closed %v", seed, c.written.Len(), len(want), bytes.Equal(c.written.Bytes(), want), len(kept), c.closed)
		}
	}
}

// TestHandlerCloses after QUIT and after a protocol error, the reply
// written first.
func TestHandlerCloses(t *testing.T) {
	for in, want := range map[string]string{
		array("QUIT"):  "+OK\r\n",
		"*1\r\n:1\r\n": "-ERR Protocol error: expected '$', got ':'\r\n",
	} {
		c := &fakeConn{}
		h := NewHandler(NewStore())
		h.OnOpen(c)
		h.OnData(c, []byte(in))
		if c.written.String() != want || !c.closed {
			t.Errorf("%q: wrote %q, closed %v; want %q and closed", in, c.written.String(), c.closed, want)
		}
	}
}

func ExampleSession_Feed() {
	s := NewSession(NewStore())
	out, n, err := s.Feed(nil, []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\nGET k\r\n*2\r\n$3\r\nGET"))
	fmt.Printf("%q %d %v\n", out, n, err)
	// Output: "+OK\r\n$2\r\nv1\r\n" 35 <nil>
}
