package async

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/modeltest"
	"github.com/iomodel/iomodel/internal/uring"
)

// TestEngineBadInput refuses a nil Handler, a bad EngineConfig and bad
// options with errors naming them.
func TestEngineBadInput(t *testing.T) {
	requireRing(t)
	h := newEchoHandler()
	for _, c := range []struct {
		name string
		h    iomodel.Handler
		cfg  iomodel.EngineConfig
		opts []EngineOption
		want string
	}{
		{"nil handler", nil, iomodel.EngineConfig{}, nil, "nil Handler"},
		{"negative watermark", h, iomodel.EngineConfig{HighWater: -1}, nil, "HighWater"},
		{"low above high", h, iomodel.EngineConfig{HighWater: 10, LowWater: 20}, nil, "LowWater"},
		{"ring not a power of two", h, iomodel.EngineConfig{}, []EngineOption{WithEngineRing(100)}, "WithEngineRing(100)"},
		{"no buffers", h, iomodel.EngineConfig{}, []EngineOption{WithEngineBuffers(-1)}, "WithEngineBuffers(-1)"},
	} {
		e, err := NewEngine(c.h, c.cfg, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "async.NewEngine") {
			t.Errorf("%s: NewEngine = %v, %v; want an async.NewEngine error naming %q", c.name, e, err, c.want)
		}
	}
}

// TestEngineUnsupported: where io_uring_setup is refused (as under
// Docker's default seccomp profile), NewEngine says so, wrapping
// errors.ErrUnsupported.
func TestEngineUnsupported(t *testing.T) {
	requireRing(t)
	restore := uring.ForceSetupError(unix.EPERM)
	defer restore()
	_, err := NewEngine(newEchoHandler(), iomodel.EngineConfig{})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "seccomp") {
		t.Fatalf("NewEngine with io_uring refused: %v; want an error wrapping errors.ErrUnsupported that names the cause", err)
	}
}

// idleHandler only records.
type idleHandler struct{ echoHandler }

func (h *idleHandler) OnData(c iomodel.EventConn, p []byte) int { return len(p) }

// TestEngineDeadlines: the idle timeout closes a silent connection, and is
// moved by data; a read deadline closes one whatever arrives. OnClose gets
// an error wrapping os.ErrDeadlineExceeded and the peer sees EOF.
func TestEngineDeadlines(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := &idleHandler{*newEchoHandler()}
		_, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 1, IdleTimeout: 150 * time.Millisecond}, opts...)
		a := modeltest.Dial(t, addr)
		start := time.Now()
		for i := 0; i < 5; i++ {
			time.Sleep(50 * time.Millisecond)
			a.Write([]byte("x")) // keeps it alive
		}
		ea := h.waitOpen(t)
		if _, err := a.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("idle connection: Read %v, want EOF after the idle timeout", err)
		}
		if el := time.Since(start); el < 400*time.Millisecond {
			t.Errorf("closed after %v: data should have moved the idle timeout", el)
		}
		if err := h.closedWith(t, ea); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("idle timeout: OnClose(%v), want os.ErrDeadlineExceeded", err)
		}

		b := modeltest.Dial(t, addr)
		eb := h.waitOpen(t)
		eb.SetIdleTimeout(0)
		eb.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		go func() {
			for i := 0; i < 20; i++ {
				if _, err := b.Write([]byte("y")); err != nil {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		if _, err := io.ReadAll(b); err != nil {
			t.Fatalf("read deadline: %v, want EOF", err)
		}
	})
}

// slowHandler writes a lot per byte received, for backpressure.
type slowHandler struct {
	echoHandler
	refused, drained atomic.Int32
}

func (h *slowHandler) OnData(c iomodel.EventConn, p []byte) int {
	for range p {
		if _, err := c.Write(make([]byte, 64<<10)); errors.Is(err, iomodel.ErrBackpressure) {
			h.refused.Add(1)
		}
	}
	return len(p)
}

func (h *slowHandler) OnDrain(c iomodel.EventConn) { h.drained.Add(1) }

// TestEngineBackpressure: a peer that does not read makes Write refuse
// past HighWater, the queue stays bounded, and once the peer reads,
// OnDrain is called.
func TestEngineBackpressure(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := &slowHandler{echoHandler: *newEchoHandler()}
		e, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 1, HighWater: 256 << 10, LowWater: 64 << 10}, opts...)
		a := modeltest.Dial(t, addr)
		a.(*net.TCPConn).SetReadBuffer(4096)
		ec := h.waitOpen(t)
		a.Write(bytes.Repeat([]byte("z"), 100))
		end := time.Now().Add(10 * time.Second)
		for h.refused.Load() == 0 {
			if time.Now().After(end) {
				t.Fatal("Write never returned ErrBackpressure")
			}
			a.Write([]byte("z"))
			time.Sleep(time.Millisecond)
		}
		if q := ec.Queued(); q > 256<<10+64<<10 {
			t.Errorf("queue holds %d bytes, past HighWater and one write", q)
		}
		if e.Stats().Paused == 0 {
			t.Error("Stats.Paused is 0 after backpressure")
		}
		go io.Copy(io.Discard, a)
		for h.drained.Load() == 0 {
			if time.Now().After(end) {
				t.Fatal("OnDrain not called within 10s of the peer reading")
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// detachHandler detaches on the first data, consuming 2 bytes of it.
type detachHandler struct {
	echoHandler
	got chan net.Conn
}

func (h *detachHandler) OnData(c iomodel.EventConn, p []byte) int {
	nc, err := c.Detach()
	if err != nil {
		panic(err)
	}
	h.got <- nc
	return 2
}

// TestEngineDetach hands a connection over mid-stream: the detached Conn
// reads the bytes OnData left, then the rest of the stream, in order, and
// writes; OnClose is not called.
func TestEngineDetach(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := &detachHandler{echoHandler: *newEchoHandler(), got: make(chan net.Conn, 1)}
		_, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 1}, opts...)
		a := modeltest.Dial(t, addr)
		msg := make([]byte, 300<<10)
		for i := range msg {
			msg[i] = byte(i % 251)
		}
		go a.Write(msg)
		var nc net.Conn
		select {
		case nc = <-h.got:
		case <-time.After(10 * time.Second):
			t.Fatal("no Detach within 10s")
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		got := make([]byte, len(msg)-2)
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("detached Conn: %v", err)
		}
		if !bytes.Equal(got, msg[2:]) {
			t.Fatal("detached Conn read other bytes than the stream after the 2 consumed")
		}
		if _, err := nc.Write([]byte("ok")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 2)
		if _, err := io.ReadFull(a, b); err != nil || string(b) != "ok" {
			t.Fatalf("peer read %q, %v from the detached Conn", b, err)
		}
		h.mu.Lock()
		n := len(h.closed)
		h.mu.Unlock()
		if n != 0 {
			t.Errorf("OnClose called for a detached connection")
		}
	})
}

// piecesHandler answers each request with a small header and a larger
// body, written apart in one OnData.
type piecesHandler struct{ echoHandler }

func (h *piecesHandler) OnData(c iomodel.EventConn, p []byte) int {
	c.Write(bytes.Repeat([]byte("h"), 100))
	c.Write(bytes.Repeat([]byte("b"), 3000))
	return len(p)
}

// TestEngineReplyInPieces: a reply written in pieces within one OnData,
// the small one first, goes out in one SEND (the write queue's small
// first chunk grows while the kernel does not hold it).
func TestEngineReplyInPieces(t *testing.T) {
	engineModes(t, func(t *testing.T, opts ...EngineOption) {
		h := &piecesHandler{*newEchoHandler()}
		e, addr := startEngine(t, h, iomodel.EngineConfig{Loops: 1}, opts...)
		a := modeltest.Dial(t, addr)
		const rounds = 20
		for i := range rounds {
			a.Write([]byte("?"))
			b := make([]byte, 3100)
			if _, err := io.ReadFull(a, b); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if b[99] != 'h' || b[100] != 'b' || b[3099] != 'b' {
				t.Fatalf("round %d: the reply's bytes out of order", i)
			}
		}
		// OnClose comes after the last SEND's completion (close waits
		// for it), so every SEND is counted by then.
		a.Close()
		modeltest.Within(t, h.closes, "OnClose")
		if w := e.Stats().Writes; w != rounds {
			t.Errorf("%d replies of two pieces went out in %d SENDs, want %d", rounds, w, rounds)
		}
	})
}
