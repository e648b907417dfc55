package resp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/loopio/loopiotest"
)

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
		c := &loopiotest.Recorder{}
		h.OnOpen(c)
		var kept []byte
		for _, chunk := range chunks(r, in) {
			if c.Full && r.IntN(3) == 0 {
				c.Full = false
				h.OnDrain(c)
			}
			c.Full = c.Full || r.IntN(10) == 0
			data := append(kept, chunk...)
			n := h.OnData(c, data)
			kept = append([]byte(nil), data[n:]...)
		}
		c.Full = false
		h.OnDrain(c)
		h.OnClose(c, nil)
		if !bytes.Equal(c.Written.Bytes(), want) || len(kept) != 0 || c.Closed {
			t.Fatalf("seed %d: %d bytes written, want %d (equal: %v); %d kept; closed %v", seed, c.Written.Len(), len(want), bytes.Equal(c.Written.Bytes(), want), len(kept), c.Closed)
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
		c := &loopiotest.Recorder{}
		h := NewHandler(NewStore())
		h.OnOpen(c)
		h.OnData(c, []byte(in))
		if c.Written.String() != want || !c.Closed {
			t.Errorf("%q: wrote %q, closed %v; want %q and closed", in, c.Written.String(), c.Closed, want)
		}
	}
}

func ExampleSession_Feed() {
	s := NewSession(NewStore())
	out, n, err := s.Feed(nil, []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\nGET k\r\n*2\r\n$3\r\nGET"))
	fmt.Printf("%q %d %v\n", out, n, err)
	// Output: "+OK\r\n$2\r\nv1\r\n" 35 <nil>
}
