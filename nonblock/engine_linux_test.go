package nonblock

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestEngineAsksEveryConnection: 200 clients of one loop exchange
// messages with it at once, one at a time each; every one is answered
// (none is left unasked while others keep the loop busy), and the loop's
// reads include the ones that found nothing.
func TestEngineAsksEveryConnection(t *testing.T) {
	const conns, rounds = 200, 10
	e, err := NewEngine(modeltest.Echo{}, iomodel.EngineConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := modeltest.Serve(t, e)
	cs := make([]net.Conn, conns)
	for i := range cs {
		cs[i] = s.Dial(t)
	}
	var g modeltest.Group
	for i, c := range cs {
		g.Go(func() error {
			buf := make([]byte, 64)
			for k := range rounds {
				msg := bytes.Repeat([]byte{byte(i), byte(k)}, 32)
				if _, err := c.Write(msg); err != nil {
					return fmt.Errorf("conn %d: %v", i, err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					return fmt.Errorf("conn %d, message %d: %v", i, k, err)
				}
				if !bytes.Equal(buf, msg) {
					return fmt.Errorf("conn %d, message %d: echo differs", i, k)
				}
			}
			return nil
		})
	}
	g.Wait(t, modeltest.ClientDeadline+modeltest.Step, "the clients' exchanges")
	st := e.Stats()
	if st.Accepted != conns || st.BytesRead != conns*rounds*64 {
		t.Errorf("stats %+v: want %d accepted, %d bytes read", st, conns, conns*rounds*64)
	}
	if st.Reads <= uint64(conns*rounds) {
		t.Errorf("%d reads for %d messages: a loop that asks must find nothing sometimes", st.Reads, conns*rounds)
	}
}

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) { conntest.RunEngine(t, modeltest.Of(NewEngine)) }

// BenchmarkEngineEcho: 64-byte round trips on the Engine, clients in this
// process (for the server's own CPU per message, see README.md).
func BenchmarkEngineEcho(b *testing.B) { modeltest.BenchEcho(b, modeltest.Of(NewEngine)) }
