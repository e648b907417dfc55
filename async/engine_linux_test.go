package async

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
)

// withoutMultishot is the fallback forced on a kernel that has multishot
// receive and provided-buffer rings: one-shot POLL_ADD then recv(2) into the
// loop's buffer, and one-shot ACCEPTs.
func withoutMultishot() EngineOption { return func(o *engineOptions) { o.noMulti = true } }

// engineModes runs f with the Engine as this kernel has it, and with the
// fallback forced.
func engineModes(t *testing.T, f func(t *testing.T, opts ...EngineOption)) {
	t.Run("multishot", func(t *testing.T) { f(t) })
	t.Run("fallback", func(t *testing.T) { f(t, withoutMultishot()) })
}

// echoHandler writes back what it gets and records how connections end.
type echoHandler struct {
	mu     sync.Mutex
	closed map[iomodel.EventConn]error
	opened chan iomodel.EventConn
	closes chan struct{} // a token per OnClose
}

func newEchoHandler() *echoHandler {
	return &echoHandler{closed: map[iomodel.EventConn]error{}, opened: make(chan iomodel.EventConn, 1000), closes: make(chan struct{}, 1000)}
}

func (h *echoHandler) OnOpen(c iomodel.EventConn) { h.opened <- c }
func (h *echoHandler) OnData(c iomodel.EventConn, p []byte) int {
	c.Write(p) // fails once the peer is gone; OnClose tells
	return len(p)
}
func (h *echoHandler) OnClose(c iomodel.EventConn, err error) {
	h.mu.Lock()
	h.closed[c] = err
	h.mu.Unlock()
	h.closes <- struct{}{}
}

// waitOpen waits (at most modeltest.Step) for the next OnOpen.
func (h *echoHandler) waitOpen(t *testing.T) iomodel.EventConn {
	t.Helper()
	return modeltest.Within(t, h.opened, "OnOpen")
}

// closedWith waits (at most modeltest.Step) for OnClose of ec and returns
// its error.
func (h *echoHandler) closedWith(t *testing.T, ec iomodel.EventConn) error {
	t.Helper()
	timeout := time.After(modeltest.Step)
	for {
		h.mu.Lock()
		err, ok := h.closed[ec]
		h.mu.Unlock()
		if ok {
			return err
		}
		select {
		case <-h.closes:
		case <-timeout:
			t.Fatalf("OnClose not called within %v", modeltest.Step)
			return nil
		}
	}
}

// startEngine serves h on a fresh TCP listener and shuts the Engine down
// (bounded) when the test ends.
func startEngine(t *testing.T, h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, string) {
	t.Helper()
	requireRing(t)
	e, err := NewEngine(h, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, modeltest.Serve(t, e).Addr()
}

// TestEngineEcho sends random bytes in random chunks over many connections
// at once and reads them back byte for byte.
func TestEngineEcho(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := newEchoHandler()
		e, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 2, ReadBuffer: 1024}, append(opts, WithEngineBuffers(8))...)
		const conns, size = 20, 200 << 10
		var wg sync.WaitGroup
		for i := 0; i < conns; i++ {
			c := modeltest.Dial(t, addr)
			want := make([]byte, size)
			for j := range want {
				want[j] = byte(rand.Uint32())
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				for p := want; len(p) > 0; {
					n := min(len(p), 1+rand.IntN(5000))
					if _, err := c.Write(p[:n]); err != nil {
						t.Errorf("write: %v", err)
						return
					}
					p = p[n:]
				}
			}()
			go func() {
				defer wg.Done()
				got := make([]byte, size)
				if _, err := io.ReadFull(c, got); err != nil {
					t.Errorf("read back: %v", err)
					return
				}
				if !bytes.Equal(got, want) {
					t.Errorf("echo differs from what was sent")
				}
			}()
		}
		wg.Wait()
		st := e.Stats()
		if st.Accepted != conns || st.BytesRead != conns*size {
			t.Errorf("Stats %+v: want %d accepted, %d bytes read", st, conns, conns*size)
		}
	})
}

// pushHandler writes from another goroutine than the loop's, and closes
// from the loop when the peer says "bye".
type pushHandler struct {
	echoHandler
}

func (h *pushHandler) OnData(c iomodel.EventConn, p []byte) int {
	if bytes.Equal(p, []byte("bye")) {
		c.Close()
	}
	return len(p)
}

// TestEngineWritesFromGoroutines writes to each connection from several
// goroutines at once, outside the loop: every write arrives whole.
func TestEngineWritesFromGoroutines(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := &pushHandler{*newEchoHandler()}
		_, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 2}, opts...)
		c := modeltest.Dial(t, addr)
		ec := h.waitOpen(t)
		const writers, each = 4, 500
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg := bytes.Repeat([]byte{'a' + byte(w)}, 100)
				for i := 0; i < each; i++ {
					if _, err := ec.Write(msg); err != nil {
						t.Errorf("Write: %v", err)
						return
					}
				}
			}()
		}
		got := make([]byte, writers*each*100)
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatalf("reading what the goroutines wrote: %v", err)
		}
		wg.Wait()
		counts := map[byte]int{}
		for i := 0; i < len(got); i += 100 {
			if !bytes.Equal(got[i:i+100], bytes.Repeat(got[i:i+1], 100)) {
				t.Fatalf("a write of 100 bytes arrived torn at %d", i)
			}
			counts[got[i]]++
		}
		for w := 0; w < writers; w++ {
			if counts['a'+byte(w)] != each {
				t.Fatalf("writer %d: %d writes arrived, want %d", w, counts['a'+byte(w)], each)
			}
		}
		// Close from the loop (the handler, on "bye"): the peer sees EOF.
		c.Write([]byte("bye"))
		if n, err := c.Read(got[:1]); err != io.EOF {
			t.Fatalf("after the server's Close: Read %d, %v; want EOF", n, err)
		}
	})
}

// TestEngineCloseBothSides closes connections from the peer (EOF, and a
// reset) and from another goroutine (EventConn.Close, with output queued,
// which is flushed first), and checks OnClose's errors.
func TestEngineCloseBothSides(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := newEchoHandler()
		e, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 1}, opts...)

		// The peer shuts down its side: OnClose gets io.EOF.
		a := modeltest.Dial(t, addr)
		ea := h.waitOpen(t)
		a.(*net.TCPConn).CloseWrite()
		if err := h.closedWith(t, ea); err != io.EOF {
			t.Errorf("peer's shutdown: OnClose(%v), want io.EOF", err)
		}

		// The peer resets: OnClose gets ECONNRESET.
		b := modeltest.Dial(t, addr)
		eb := h.waitOpen(t)
		b.(*net.TCPConn).SetLinger(0)
		b.Close()
		if err := h.closedWith(t, eb); err == nil || err == io.EOF {
			t.Errorf("peer's reset: OnClose(%v), want the socket's error", err)
		}

		// Close from another goroutine with 1 MiB queued: all of it
		// arrives, then EOF, then OnClose(nil); a second Close fails.
		c := modeltest.Dial(t, addr)
		ec := h.waitOpen(t)
		big := make([]byte, 1<<20-1)
		for i := range big {
			big[i] = byte(i * 7)
		}
		if _, err := ec.Write(big); err != nil {
			t.Fatal(err)
		}
		if err := ec.Close(); err != nil {
			t.Fatal(err)
		}
		if err := ec.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v, want net.ErrClosed", err)
		}
		if _, err := ec.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: %v, want net.ErrClosed", err)
		}
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, big) {
			t.Errorf("after Close: read %d bytes, %v; want the %d queued, then EOF", len(got), err, len(big))
		}
		if err := h.closedWith(t, ec); err != nil {
			t.Errorf("Close: OnClose(%v), want nil", err)
		}
		if st := e.Stats(); st.Open != 0 || st.Closed != 3 {
			t.Errorf("Stats: %d open, %d closed; want 0 and 3", st.Open, st.Closed)
		}
	})
}

// TestEngineShutdown shuts an Engine down with connections open and output
// queued: each peer reads all of it, then EOF; Serve returns
// ErrEngineClosed; a second Serve is refused.
func TestEngineShutdown(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		requireRing(t)
		h := newEchoHandler()
		e, err := NewEngine(h, iomodel.EngineConfig{Loops: 2}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		s := modeltest.Serve(t, e)
		var peers []net.Conn
		for i := 0; i < 8; i++ {
			c := s.Dial(t)
			peers = append(peers, c)
			ec := h.waitOpen(t)
			ec.Write(bytes.Repeat([]byte{byte(i)}, 100<<10))
		}
		s.Shutdown(t)
		for i, c := range peers {
			got, err := io.ReadAll(c)
			if err != nil || len(got) != 100<<10 || got[0] != byte(i) {
				t.Errorf("peer %d: read %d bytes, %v; want 100 KiB then EOF", i, len(got), err)
			}
		}
		if err := e.Serve(s.Listener); !errors.Is(err, iomodel.ErrEngineClosed) {
			t.Errorf("Serve after Shutdown: %v, want ErrEngineClosed", err)
		}
		if st := e.Stats(); st.Open != 0 || st.Loops != 0 {
			t.Errorf("after Shutdown: %+v", st)
		}
	})
}

// TestEngineConformance runs conntest's loop-shape suite on the Engine as
// this kernel has it, and with the fallback forced.
func TestEngineConformance(t *testing.T) {
	requireRing(t)
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		conntest.RunEngine(t, modeltest.Of(NewEngine, opts...))
	})
}

// BenchmarkEngineEcho is conntest's 64-byte echo on the Engine, clients in
// this process (for the server's own CPU, see README.md's runs).
func BenchmarkEngineEcho(b *testing.B) {
	requireRing(b)
	modeltest.BenchEcho(b, modeltest.Of(NewEngine))
}
