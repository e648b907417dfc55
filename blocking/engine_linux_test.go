package blocking

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestEngineInterruptsSleepingRead: a connection's goroutine sleeps in
// recv(2) on a quiet connection (or is on its way there); what another
// goroutine does reaches it: a Write queued past what the socket takes is sent, a read
// deadline set closes it with os.ErrDeadlineExceeded, and Close closes it
// with nil.
func TestEngineInterruptsSleepingRead(t *testing.T) {
	r := modeltest.Echo{Opened: make(chan iomodel.EventConn, 1), Closed: make(chan error, 1)}
	e, err := NewEngine(r, iomodel.EngineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	addr := modeltest.Serve(t, e).Addr()

	t.Run("Close", func(t *testing.T) {
		nc := modeltest.Dial(t, addr)
		c := modeltest.Within(t, r.Opened, "OnOpen")
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := modeltest.Within(t, r.Closed, "OnClose after Close"); err != nil {
			t.Fatalf("OnClose(%v), want nil", err)
		}
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("client read %v, want EOF", err)
		}
	})

	t.Run("SetReadDeadline", func(t *testing.T) {
		modeltest.Dial(t, addr)
		c := modeltest.Within(t, r.Opened, "OnOpen")
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if err := modeltest.Within(t, r.Closed, "OnClose after the deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("OnClose(%v), want os.ErrDeadlineExceeded", err)
		}
	})

	t.Run("Write", func(t *testing.T) {
		nc := modeltest.Dial(t, addr)
		c := modeltest.Within(t, r.Opened, "OnOpen")
		big := make([]byte, 8<<20) // more than the socket buffers hold
		for i := range big {
			big[i] = byte(i * 7)
		}
		if n, err := c.Write(big); n != len(big) || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		got := make([]byte, len(big))
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("client read: %v (%d queued)", err, c.Queued())
		}
		for i := range got {
			if got[i] != big[i] {
				t.Fatalf("byte %d differs", i)
			}
		}
		c.Close()
		modeltest.Within(t, r.Closed, "OnClose")
	})
}

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) { conntest.RunEngine(t, modeltest.Of(NewEngine)) }

// BenchmarkEngineEcho: 64-byte round trips on the Engine, clients in this
// process (for the server's own CPU per message, see README.md).
func BenchmarkEngineEcho(b *testing.B) { modeltest.BenchEcho(b, modeltest.Of(NewEngine)) }
