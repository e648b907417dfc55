package blocking

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// recorder is a Handler that hands each connection and its end to the
// test.
type recorder struct {
	opened chan iomodel.EventConn
	closed chan error
}

func (r recorder) OnOpen(c iomodel.EventConn)                  { r.opened <- c }
func (r recorder) OnData(c iomodel.EventConn, data []byte) int { return len(data) }
func (r recorder) OnClose(c iomodel.EventConn, err error)      { r.closed <- err }

// serve starts an Engine for h on a loopback listener and returns the
// address; the Engine is shut down when the test ends.
func serve(t *testing.T, h iomodel.Handler) string {
	t.Helper()
	e, err := NewEngine(h, iomodel.EngineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, iomodel.ErrEngineClosed) {
			t.Errorf("Serve: %v", err)
		}
		ln.Close()
	})
	return ln.Addr().String()
}

func within[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing after 10s", what)
		panic("unreachable")
	}
}

// TestEngineInterruptsSleepingRead: a connection's goroutine sleeps in
// recv(2) on a quiet connection (or is on its way there); what another
// goroutine does reaches it: a Write queued past what the socket takes is sent, a read
// deadline set closes it with os.ErrDeadlineExceeded, and Close closes it
// with nil.
func TestEngineInterruptsSleepingRead(t *testing.T) {
	r := recorder{opened: make(chan iomodel.EventConn, 1), closed: make(chan error, 1)}
	addr := serve(t, r)

	t.Run("Close", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		c := within(t, r.opened, "OnOpen")
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := within(t, r.closed, "OnClose after Close"); err != nil {
			t.Fatalf("OnClose(%v), want nil", err)
		}
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("client read %v, want EOF", err)
		}
	})

	t.Run("SetReadDeadline", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		c := within(t, r.opened, "OnOpen")
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if err := within(t, r.closed, "OnClose after the deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("OnClose(%v), want os.ErrDeadlineExceeded", err)
		}
	})

	t.Run("Write", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		c := within(t, r.opened, "OnOpen")
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
		within(t, r.closed, "OnClose")
	})
}
