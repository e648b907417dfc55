package sigdriven

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"golang.org/x/sys/unix"
)

// echoHandler writes back what it receives.
type echoHandler struct{}

func (echoHandler) OnOpen(iomodel.EventConn) {}
func (echoHandler) OnData(c iomodel.EventConn, data []byte) int {
	c.Write(data)
	return len(data)
}
func (echoHandler) OnClose(iomodel.EventConn, error) {}

// TestEngineOverflow: with RLIMIT_SIGPENDING lowered to 16 (in a child
// process: the limit is the whole process's), 200 clients of an echo
// Engine send at once, far more events than the real-time queue holds; the
// kernel falls back to SIGIO, the loops rescan, and every byte comes back,
// in order, on every connection.
func TestEngineOverflow(t *testing.T) {
	if !inChild("TestEngineOverflow") {
		out := runChild(t, "TestEngineOverflow")
		if i := bytes.Index(out, []byte("overflows=")); i >= 0 {
			t.Logf("child: %s", bytes.TrimSpace(out[i:i+bytes.IndexByte(out[i:], '\n')]))
		}
		return
	}
	const conns, limit, rounds, size = 200, 16, 20, 64
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(echoHandler{}, iomodel.EngineConfig{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	before := Signals()

	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer cs[i].Close()
		cs[i].SetDeadline(time.Now().Add(20 * time.Second))
	}
	msg := func(i, k int) []byte { return bytes.Repeat([]byte{byte(i), byte(k)}, size/2) }
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := make([]byte, 0, rounds*size)
			for k := range rounds {
				want = append(want, msg(i, k)...)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil {
				errs <- fmt.Errorf("conn %d: %v", i, err)
				return
			}
			if !bytes.Equal(got, want) {
				errs <- fmt.Errorf("conn %d: the echo differs from what was sent", i)
			}
		}()
	}
	// Every connection gets its next message before any gets two, so
	// events from all 200 are due at once.
	for k := range rounds {
		for i, c := range cs {
			if _, err := c.Write(msg(i, k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after := Signals()
	fmt.Printf("overflows=%d signals=%d stale=%d\n", after.Overflows-before.Overflows, after.Signals-before.Signals, after.Stale-before.Stale)
	if after.Overflows == before.Overflows {
		t.Error("the real-time queue never overflowed (no SIGIO read)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, iomodel.ErrEngineClosed) {
		t.Fatalf("Serve: %v, want ErrEngineClosed", err)
	}
}

// TestEngineThreads: after Shutdown no thread blocks the Engine's signal
// or SIGIO: each loop gave its thread back with its mask restored. (While
// it serves, a loop asleep in rt_sigtimedwait(2) shows them unblocked in
// /proc: the kernel unblocks what the call waits for while it waits, and
// restores the mask when it returns.) In a child process, as TestMask,
// because os/signal's own thread blocks every signal nobody Notify'd.
func TestEngineThreads(t *testing.T) {
	if !inChild("TestEngineThreads") {
		runChild(t, "TestEngineThreads")
		return
	}
	const sig, loops = 46, 2
	if why := procMasksRenumbered(t, sig); why != "" {
		t.Skip(why)
	}
	e, err := NewEngine(echoHandler{}, iomodel.EngineConfig{Loops: loops}, WithEngineSignal(sig))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	// Serve has started the loops once a connection is echoed.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("x"))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	blocking := func() []int {
		const all = 0xfffffffe7ffbfeff // a thread being created blocks everything for a moment
		var ids []int
		for id, m := range taskMasks(t) {
			if m[0]&all != all && sigismember(m[0], sig) && sigismember(m[0], int(unix.SIGIO)) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-served
	if ids := blocking(); len(ids) != 0 {
		t.Errorf("threads still blocking signal %d and SIGIO after Shutdown: %v", sig, ids)
	}
}
