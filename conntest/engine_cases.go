package conntest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// engineCases is the loop shape's suite, in one place.
var engineCases = []struct {
	name string
	run  func(t *testing.T, ne NewEngine)
}{
	{"CallbackOrder", testEngineOrder},
	{"ConnInfo", testEngineConnInfo},
	{"RandomChunks", testEngineRandomChunks},
	{"ManyConns", testEngineManyConns},
	{"UnixSocket", testEngineUnix},
	{"WriteFromGoroutines", testEngineWriteFromGoroutines},
	{"CloseFromHandler", testEngineCloseFromHandler},
	{"CloseRace", testEngineCloseRace},
	{"SlowReader", testEngineSlowReader},
	{"IdleTimeout", testEngineIdleTimeout},
	{"IdleTimeoutSetLater", testEngineIdleTimeoutSetLater},
	{"ReadDeadline", testEngineReadDeadline},
	{"PeerReset", testEnginePeerReset},
	{"OutOfDescriptors", testEngineOutOfDescriptors},
	{"OutOfDescriptorsAtTheLimit", testEngineOutOfDescriptorsAtTheLimit},
	{"ShutdownFlushes", testEngineShutdownFlushes},
	{"ShutdownBounded", testEngineShutdownBounded},
	{"ShutdownBeforeServe", testEngineShutdownBeforeServe},
	{"Detach", testEngineDetach},
	{"DetachTLS", testEngineDetachTLS},
	{"DetachRefused", testEngineDetachRefused},
	{"BadConfig", testEngineBadConfig},
	{"BadListener", testEngineBadListener},
}

// readN reads exactly n bytes from c.
func readN(t *testing.T, c net.Conn, n int, what string) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("%s: read %d bytes: %v", what, n, err)
	}
	return b
}

// wantEOF reads c until io.EOF, failing on anything else.
func wantEOF(t *testing.T, c net.Conn, what string) {
	t.Helper()
	var b [64]byte
	n, err := c.Read(b[:])
	if n != 0 || err != io.EOF {
		t.Fatalf("%s: read %d bytes (%q), %v; want io.EOF", what, n, b[:n], err)
	}
}

// testEngineOrder: OnOpen, OnData with the bytes in order, OnClose once
// with io.EOF itself when the peer closes.
func testEngineOrder(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	for _, msg := range []string{"one", "two", "three"} {
		c.Write([]byte(msg))
		if got := readN(t, c, len(msg), "echo"); string(got) != msg {
			t.Fatalf("echo: got %q, want %q", got, msg)
		}
	}
	c.Close()
	r := h.waitClose(t, "peer closed")
	if r.err != io.EOF {
		t.Errorf("OnClose after the peer closed: %v, want io.EOF itself", r.err)
	}
	if _, err := r.c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after OnClose: %v, want an error wrapping net.ErrClosed", err)
	}
	if err := r.c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Close after OnClose: %v, want an error wrapping net.ErrClosed", err)
	}
	waitFor(t, "EngineStats.Open back to 0", func() bool { return s.e.Stats().Open == 0 })
	st := s.e.Stats()
	if st.Accepted != 1 || st.Closed != 1 || st.BytesRead != 11 || st.BytesWritten != 11 || st.Loops < 1 {
		t.Errorf("EngineStats %+v: want Accepted 1, Closed 1, 11 bytes each way, Loops ≥ 1", st)
	}
}

// testEngineConnInfo: addresses, a user value, per-connection Stats.
func testEngineConnInfo(t *testing.T, ne NewEngine) {
	type info struct {
		local, remote net.Addr
		value         any
		stats         iomodel.Stats
	}
	got := make(chan info, 1)
	h := newHandler()
	h.open = func(c iomodel.EventConn) { c.SetContext("state") }
	h.close = func(c iomodel.EventConn, err error) {
		got <- info{c.LocalAddr(), c.RemoteAddr(), c.Context(), c.Stats()}
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	c.Write([]byte("12345"))
	waitFor(t, "5 bytes read", func() bool { return s.e.Stats().BytesRead == 5 })
	c.Close()
	h.waitClose(t, "peer closed")
	in := <-got
	if in.local == nil || in.local.String() != c.RemoteAddr().String() {
		t.Errorf("LocalAddr %v, want the client's RemoteAddr %v", in.local, c.RemoteAddr())
	}
	if in.remote == nil || in.remote.String() != c.LocalAddr().String() {
		t.Errorf("RemoteAddr %v, want the client's LocalAddr %v", in.remote, c.LocalAddr())
	}
	if in.value != "state" {
		t.Errorf("Context() = %v, want what SetContext stored", in.value)
	}
	if in.stats.Read.Bytes != 5 || in.stats.Read.Calls < 1 || in.stats.Read.Syscalls < 1 {
		t.Errorf("Stats().Read = %+v, want 5 bytes in ≥ 1 call", in.stats.Read)
	}
}

// frames is a handler that answers length-prefixed frames (2 bytes of
// length, then the payload) one whole frame at a time, consuming only whole
// frames: the bytes of a partial frame stay with the loop.
func frames(h *handler) *handler {
	h.data = func(c iomodel.EventConn, p []byte) int {
		used := 0
		for len(p)-used >= 2 {
			n := 2 + int(binary.BigEndian.Uint16(p[used:]))
			if len(p)-used < n {
				break
			}
			if _, err := c.Write(p[used : used+n]); err != nil {
				h.fail("frames: Write: %v", err)
			}
			used += n
		}
		return used
	}
	return h
}

// frameStream makes size bytes of random frames.
func frameStream(r *rand.Rand, size int) []byte {
	var b []byte
	for len(b) < size {
		n := r.IntN(3000)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		b = append(b, randomBytes(r, n)...)
	}
	return b
}

// exchange writes data to c in random pieces while reading the answer,
// and compares it with want.
func exchange(t *testing.T, r *rand.Rand, c net.Conn, data, want []byte) error {
	pieces := chunks(r, data, 700)
	errc := make(chan error, 1)
	go func() {
		for _, p := range pieces {
			if _, err := c.Write(p); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	got := make([]byte, len(want))
	_, rerr := io.ReadFull(c, got)
	if err := <-errc; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("read: %w", rerr)
	}
	if d := compareStream(want, got); d != "" {
		return fmt.Errorf("answer differs: %s", d)
	}
	return nil
}

// testEngineRandomChunks: a stream cut at random comes back byte-exact
// through a handler that consumes only whole frames.
func testEngineRandomChunks(t *testing.T, ne NewEngine) {
	r := newRand(t)
	h := frames(newHandler())
	s := serve(t, ne, h, iomodel.EngineConfig{ReadBuffer: 1000})
	c := s.dial()
	data := frameStream(r, 300<<10)
	if err := exchange(t, r, c, data, data); err != nil {
		t.Fatal(err)
	}
}

// testEngineManyConns: many connections at once, each its own stream.
func testEngineManyConns(t *testing.T, ne NewEngine) {
	r := newRand(t)
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		c := s.dial()
		rr := rand.New(rand.NewPCG(r.Uint64(), uint64(i)))
		data := randomBytes(rr, 32<<10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := exchange(t, rr, c, data, data); err != nil {
				errs <- fmt.Errorf("conn %d: %w", i, err)
			}
			c.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for range n {
		h.waitClose(t, "every client closed")
	}
}

// testEngineUnix: a Unix-domain listener works as TCP does.
func testEngineUnix(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	s := serveOn(t, ne, h, iomodel.EngineConfig{}, "unix", filepath.Join(t.TempDir(), "s"))
	c := s.dial()
	c.Write([]byte("over unix"))
	if got := readN(t, c, 9, "echo"); string(got) != "over unix" {
		t.Fatalf("got %q", got)
	}
}

// testEngineWriteFromGoroutines: Writes from goroutines other than the
// loop arrive whole and, per goroutine, in order; a Close from one of
// them flushes first.
func testEngineWriteFromGoroutines(t *testing.T, ne NewEngine) {
	const writers, msgs, size = 4, 300, 14
	var g goroutines
	h := newHandler()
	h.open = func(c iomodel.EventConn) {
		var done sync.WaitGroup
		for w := range writers {
			done.Add(1)
			g.Go(func() {
				defer done.Done()
				for i := range msgs {
					m := fmt.Sprintf("w%d:%010d\n", w, i)
					if _, err := c.Write([]byte(m)); err != nil {
						h.fail("Write from a goroutine: %v", err)
						return
					}
				}
			})
		}
		g.Go(func() {
			done.Wait()
			if err := c.Close(); err != nil {
				h.fail("Close from a goroutine: %v", err)
			}
		})
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	all, err := io.ReadAll(c)
	g.Wait(t)
	if err != nil {
		t.Fatalf("read to EOF: %v", err)
	}
	if len(all) != writers*msgs*size {
		t.Fatalf("got %d bytes, want %d", len(all), writers*msgs*size)
	}
	next := make([]int, writers)
	for _, line := range bytes.Split(all[:len(all)-1], []byte("\n")) {
		var w, i int
		if _, err := fmt.Sscanf(string(line), "w%d:%d", &w, &i); err != nil || w >= writers || i != next[w] {
			t.Fatalf("message %q out of order or torn (next from w%d is %d)", line, w, next[min(max(w, 0), writers-1)])
		}
		next[w]++
	}
	if r := h.waitClose(t, "Close from a goroutine"); r.err != nil {
		t.Errorf("OnClose after Close: %v, want nil", r.err)
	}
}

// testEngineCloseFromHandler: Close in OnOpen and in OnData flushes what
// was written, then the client reads EOF; a second Close and a Write fail
// with net.ErrClosed.
func testEngineCloseFromHandler(t *testing.T, ne NewEngine) {
	errs := make(chan error, 4)
	h := newHandler()
	h.open = func(c iomodel.EventConn) {
		c.Write([]byte("hello "))
	}
	h.data = func(c iomodel.EventConn, p []byte) int {
		c.Write([]byte("bye"))
		errs <- c.Close()
		_, werr := c.Write([]byte("more"))
		errs <- werr
		errs <- c.Close()
		return len(p)
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	c.Write([]byte("x"))
	if got := readN(t, c, 9, "greeting and farewell"); string(got) != "hello bye" {
		t.Fatalf("got %q", got)
	}
	wantEOF(t, c, "after Close in OnData")
	if err := <-errs; err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, what := range []string{"Write after Close", "second Close"} {
		if err := <-errs; !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s: %v, want an error wrapping net.ErrClosed", what, err)
		}
	}
	if r := h.waitClose(t, "Close in OnData"); r.err != nil {
		t.Errorf("OnClose after Close: %v, want nil", r.err)
	}

	h2 := newHandler()
	h2.open = func(c iomodel.EventConn) {
		c.Write([]byte("at once"))
		c.Close()
	}
	s2 := serve(t, ne, h2, iomodel.EngineConfig{})
	c2 := s2.dial()
	if got := readN(t, c2, 7, "Close in OnOpen"); string(got) != "at once" {
		t.Fatalf("got %q", got)
	}
	wantEOF(t, c2, "after Close in OnOpen")
	h2.waitClose(t, "Close in OnOpen")
}

// testEngineCloseRace: Close from a goroutine and from the client at random
// moments of a stream: every connection ends with exactly one OnClose and
// nothing breaks.
func testEngineCloseRace(t *testing.T, ne NewEngine) {
	r := newRand(t)
	const n = 40
	var g goroutines
	h := newHandler()
	h.data = func(c iomodel.EventConn, p []byte) int {
		c.Write(p) // fails once either side has closed: that is the point
		return len(p)
	}
	h.open = func(c iomodel.EventConn) {
		d := time.Duration(rand.IntN(3000)) * time.Microsecond
		g.Go(func() {
			time.Sleep(d) // a random moment, not a synchronization
			c.Close()
		})
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	var clients sync.WaitGroup
	for i := range n {
		c := s.dial()
		rr := rand.New(rand.NewPCG(r.Uint64(), uint64(i)))
		clients.Add(1)
		go func() {
			defer clients.Done()
			go io.Copy(io.Discard, c)
			for _, p := range chunks(rr, randomBytes(rr, 64<<10), 4000) {
				if rr.IntN(40) == 0 {
					break
				}
				if _, err := c.Write(p); err != nil {
					break
				}
			}
			c.Close()
		}()
	}
	clients.Wait()
	for range n {
		h.waitClose(t, "every connection")
	}
	g.Wait(t)
	select {
	case r := <-h.closed:
		t.Errorf("an OnClose too many: %v", r.err)
	default:
	}
}

// testEngineSlowReader: a handler writing much more than the client reads
// meets ErrBackpressure once the queue holds HighWater, the queue stays
// bounded, the loop stops reading the connection, and OnDrain comes once
// the client reads; every byte arrives in order.
func testEngineSlowReader(t *testing.T, ne NewEngine) {
	const high, low, piece, total = 256 << 10, 64 << 10, 64 << 10, 32 << 20
	var (
		written, maxQueued, backpressure, drains, received atomic.Int64
	)
	pattern := func(off, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte((off + i) * 7 / 5)
		}
		return b
	}
	pump := func(h *handler, c iomodel.EventConn) {
		for written.Load() < total {
			off := int(written.Load())
			n, err := c.Write(pattern(off, min(piece, total-off)))
			if errors.Is(err, iomodel.ErrBackpressure) {
				if n != 0 {
					h.fail("Write returned %d with ErrBackpressure, want 0", n)
				}
				backpressure.Add(1)
				return
			}
			if err != nil {
				h.fail("Write: %v", err)
				return
			}
			written.Add(int64(n))
			if q := int64(c.Queued()); q > maxQueued.Load() {
				maxQueued.Store(q)
			}
		}
	}
	h := newHandler()
	h.open = func(c iomodel.EventConn) { pump(h, c) }
	h.drain = func(c iomodel.EventConn) {
		drains.Add(1)
		pump(h, c)
	}
	h.data = func(c iomodel.EventConn, p []byte) int {
		received.Add(int64(len(p)))
		return len(p)
	}
	s := serve(t, ne, h, iomodel.EngineConfig{HighWater: high, LowWater: low})
	c := s.dial()
	waitFor(t, "a Write returning ErrBackpressure", func() bool { return backpressure.Load() >= 1 })
	if st := s.e.Stats(); st.Paused == 0 {
		t.Errorf("Write returned ErrBackpressure, yet EngineStats.Paused is 0")
	}
	// Paused: the loop must not read this connection, so the client's
	// writes fill the kernel's buffers and then block.
	c.SetWriteDeadline(time.Now().Add(time.Second))
	sent, err := c.Write(make([]byte, 64<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("client wrote %d bytes with %v while the server was paused; want its write to block (os.ErrDeadlineExceeded)", sent, err)
	}
	if got := received.Load(); got != 0 {
		t.Errorf("the paused connection was read: OnData got %d bytes", got)
	}
	c.SetDeadline(time.Now().Add(step))
	buf := make([]byte, 256<<10)
	for off := 0; off < total; {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read at %d of %d: %v", off, total, err)
		}
		if !bytes.Equal(buf[:n], pattern(off, n)) {
			t.Fatalf("bytes at %d differ from what was written", off)
		}
		off += n
	}
	if drains.Load() == 0 {
		t.Errorf("no OnDrain after the client read everything")
	}
	if q := maxQueued.Load(); q > high+piece {
		t.Errorf("queue grew to %d bytes, more than HighWater %d plus one Write of %d", q, high, piece)
	}
	waitFor(t, "reading resumed: every byte the client sent handed to OnData", func() bool { return received.Load() == int64(sent) })
	c.Close()
	if r := h.waitClose(t, "client closed"); r.err != io.EOF {
		t.Errorf("OnClose: %v, want io.EOF", r.err)
	}
}

// wantTimeoutErr checks OnClose's error for an expired deadline.
func wantTimeoutErr(t *testing.T, what string, err error) {
	t.Helper()
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%s: OnClose(%v), want an error wrapping os.ErrDeadlineExceeded with Timeout() true", what, err)
	}
}

// testEngineIdleTimeout: a connection that receives nothing for
// IdleTimeout is closed; one that keeps sending stays.
func testEngineIdleTimeout(t *testing.T, ne NewEngine) {
	const idle = 500 * time.Millisecond
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{IdleTimeout: idle})
	start := time.Now()
	quiet := s.dial()
	busy := s.dial()
	busy.Write([]byte("a"))
	readN(t, busy, 1, "busy echo")
	stop := make(chan struct{})
	busyErr := make(chan error, 1)
	go func() {
		tick := time.NewTicker(idle / 10)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				busyErr <- nil
				return
			case <-tick.C:
			}
			if _, err := busy.Write([]byte("b")); err != nil {
				busyErr <- err
				return
			}
			if _, err := io.ReadFull(busy, make([]byte, 1)); err != nil {
				busyErr <- err
				return
			}
		}
	}()
	r := h.waitClose(t, "the quiet connection's idle timeout")
	close(stop)
	if err := <-busyErr; err != nil {
		t.Errorf("the busy connection: %v", err)
	}
	if el := time.Since(start); el < idle {
		t.Errorf("closed after %v, before IdleTimeout %v", el, idle)
	}
	wantTimeoutErr(t, "idle", r.err)
	if r.c.RemoteAddr().String() != quiet.LocalAddr().String() {
		t.Errorf("the busy connection was closed for idleness")
	}
	wantEOF(t, quiet, "idle connection")
}

// testEngineIdleTimeoutSetLater: an idle timeout set in OnData long after
// the connection opened counts from that OnData, not from the open.
func testEngineIdleTimeoutSetLater(t *testing.T, ne NewEngine) {
	const idle = 300 * time.Millisecond
	h := newHandler()
	closed := make(chan time.Time, 1)
	h.data = func(c iomodel.EventConn, p []byte) int {
		if err := c.SetIdleTimeout(idle); err != nil {
			h.fail("SetIdleTimeout: %v", err)
		}
		c.Write(p)
		return len(p)
	}
	h.close = func(c iomodel.EventConn, err error) { closed <- time.Now() }
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	time.Sleep(2 * idle) // open, and quiet, for longer than the timeout to come
	c.Write([]byte("x"))
	readN(t, c, 1, "echo")
	answered := time.Now()
	r := h.waitClose(t, "the idle timeout set in OnData")
	wantTimeoutErr(t, "idle timeout set later", r.err)
	// The answer was read after OnData returned, so a correct close
	// comes at least idle minus that round trip after it.
	if at := <-closed; at.Sub(answered) < idle*2/3 {
		t.Errorf("closed %v after the OnData that set an idle timeout of %v", at.Sub(answered), idle)
	}
}

// testEngineReadDeadline: a read deadline closes the connection when it
// passes, data or not; the zero time removes it.
func testEngineReadDeadline(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	var n atomic.Int32
	h.open = func(c iomodel.EventConn) {
		if err := c.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			h.fail("SetReadDeadline: %v", err)
		}
		if n.Add(1) == 2 {
			c.SetReadDeadline(time.Time{})
		}
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	c.Write([]byte("x"))
	readN(t, c, 1, "echo")
	waitFor(t, "first connection open", func() bool { return n.Load() == 1 })
	kept := s.dial()
	r := h.waitClose(t, "the read deadline")
	wantTimeoutErr(t, "read deadline", r.err)
	wantEOF(t, c, "after the read deadline")
	kept.Write([]byte("still"))
	if got := readN(t, kept, 5, "the connection whose deadline was removed"); string(got) != "still" {
		t.Fatalf("got %q", got)
	}
	select {
	case r := <-h.closed:
		t.Errorf("the connection whose deadline was removed closed: %v", r.err)
	default:
	}
}

// testEnginePeerReset: a peer that resets the connection gives OnClose a
// *net.OpError with ECONNRESET.
func testEnginePeerReset(t *testing.T, ne NewEngine) {
	h := newHandler().echo()
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	c.Write([]byte("x"))
	readN(t, c, 1, "echo")
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	r := h.waitClose(t, "peer reset")
	var oe *net.OpError
	if !errors.Is(r.err, syscall.ECONNRESET) || !errors.As(r.err, &oe) {
		t.Errorf("OnClose after a reset: %v, want a *net.OpError wrapping ECONNRESET", r.err)
	}
}

// testEngineShutdownFlushes: Shutdown flushes what is queued, closes every
// connection (the clients read it and then EOF), calls OnClose(nil) and
// returns nil.
func testEngineShutdownFlushes(t *testing.T, ne NewEngine) {
	h := newHandler()
	h.open = func(c iomodel.EventConn) { c.Write([]byte("last words")) }
	s := serve(t, ne, h, iomodel.EngineConfig{})
	var cs []net.Conn
	for range 5 {
		c := s.dial()
		readN(t, c, 10, "greeting")
		cs = append(cs, c)
	}
	if err := s.shutdown(step); err != nil {
		t.Fatalf("Shutdown with idle connections: %v", err)
	}
	for _, c := range cs {
		wantEOF(t, c, "after Shutdown")
	}
	for range cs {
		if r := h.waitClose(t, "Shutdown"); r.err != nil {
			t.Errorf("OnClose at Shutdown: %v, want nil", r.err)
		}
	}
	if st := s.e.Stats(); st.Open != 0 {
		t.Errorf("EngineStats.Open = %d after Shutdown", st.Open)
	}
}

// testEngineShutdownBounded: output a client never reads keeps Shutdown
// only until its context ends; then every connection is closed at once.
func testEngineShutdownBounded(t *testing.T, ne NewEngine) {
	h := newHandler()
	h.open = func(c iomodel.EventConn) {
		for {
			if _, err := c.Write(make([]byte, 64<<10)); err != nil {
				return
			}
		}
	}
	s := serve(t, ne, h, iomodel.EngineConfig{FlushTimeout: time.Hour})
	// Small socket buffers on both sides (set before the connection is
	// made, so no autotuning grows them): an engine whose Write only
	// queues (async's, which sends on its ring) must not find room for the
	// whole queue in the kernel once paused.
	d := smallBuffers(t, s.ln)
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // a client that never reads
	waitFor(t, "the queue full", func() bool { return s.e.Stats().Paused >= 1 })
	start := time.Now()
	err = s.shutdown(300 * time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with output nobody reads: %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > step {
		t.Errorf("Shutdown took %v", el)
	}
	h.waitClose(t, "Shutdown's context ended")
	if st := s.e.Stats(); st.Open != 0 {
		t.Errorf("EngineStats.Open = %d after Shutdown", st.Open)
	}
}

// testEngineShutdownBeforeServe: Shutdown first, then Serve returns
// ErrEngineClosed at once; Shutdown twice is fine.
func testEngineShutdownBeforeServe(t *testing.T, ne NewEngine) {
	e, err := ne(newHandler(), iomodel.EngineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown before Serve: %v", err)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := e.Serve(ln); err != iomodel.ErrEngineClosed {
		t.Errorf("Serve after Shutdown: %v, want iomodel.ErrEngineClosed", err)
	}
}

// testEngineBadConfig: NewEngine refuses a nil Handler and each bad field,
// naming it.
func testEngineBadConfig(t *testing.T, ne NewEngine) {
	if e, err := ne(nil, iomodel.EngineConfig{}); err == nil {
		e.Shutdown(context.Background())
		t.Errorf("NewEngine(nil Handler) succeeded")
	}
	for _, tc := range []struct {
		field string
		cfg   iomodel.EngineConfig
	}{
		{"Loops", iomodel.EngineConfig{Loops: -1}},
		{"ReadBuffer", iomodel.EngineConfig{ReadBuffer: -1}},
		{"HighWater", iomodel.EngineConfig{HighWater: -1}},
		{"LowWater", iomodel.EngineConfig{LowWater: -1}},
		{"LowWater", iomodel.EngineConfig{HighWater: 100, LowWater: 100}},
		{"LowWater", iomodel.EngineConfig{LowWater: 2 << 20}},
		{"IdleTimeout", iomodel.EngineConfig{IdleTimeout: -time.Second}},
		{"FlushTimeout", iomodel.EngineConfig{FlushTimeout: -time.Second}},
	} {
		e, err := ne(newHandler(), tc.cfg)
		if err == nil {
			e.Shutdown(context.Background())
			t.Errorf("NewEngine(%+v) succeeded", tc.cfg)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte(tc.field)) {
			t.Errorf("NewEngine(%+v): %v, which does not name %s", tc.cfg, err, tc.field)
		}
	}
}

// noSyscallListener is a net.Listener with no SyscallConn.
type noSyscallListener struct{ net.Listener }

// packetListener claims the socket of a UDP conn as a listener's.
type packetListener struct {
	net.Listener
	pc *net.UDPConn
}

func (l packetListener) SyscallConn() (syscall.RawConn, error) { return l.pc.SyscallConn() }

// testEngineBadListener: Serve refuses nil, a closed listener, one without
// SyscallConn and a socket that is not a listening stream, each with an
// error other than ErrEngineClosed and at once, and leaks nothing.
func testEngineBadListener(t *testing.T, ne NewEngine) {
	e, err := ne(newHandler(), iomodel.EngineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, tc := range []struct {
		name string
		ln   net.Listener
	}{
		{"nil", nil},
		{"closed", closed},
		{"no SyscallConn", noSyscallListener{ln}},
		{"datagram socket", packetListener{ln, pc}},
	} {
		done := make(chan error, 1)
		go func() { done <- e.Serve(tc.ln) }()
		select {
		case err := <-done:
			if err == nil || err == iomodel.ErrEngineClosed {
				t.Errorf("Serve(%s listener): %v, want an error saying what is wrong", tc.name, err)
			} else {
				t.Logf("Serve(%s listener): %v", tc.name, err)
			}
		case <-time.After(step):
			t.Fatalf("Serve(%s listener) did not return", tc.name)
		}
	}
}
