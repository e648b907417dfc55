package sigdriven

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
	"golang.org/x/sys/unix"
)

// TestEngineOverflow: with RLIMIT_SIGPENDING lowered to 16 (in a child
// process: the limit is the whole process's), 200 clients of an echo
// Engine send at once, far more events than the real-time queue holds; the
// kernel falls back to SIGIO, the loops rescan, and every byte comes back,
// in order, on every connection. The clients send only once the Engine has
// opened (and so armed) every connection, and the handler holds the loop
// it runs on until every client has sent its first message, so the queue
// overflows whatever the scheduling: without them a loop that accepted
// after the data had come read it all without a signal, or loops that kept
// up with the clients saw no overflow, in about 1 run in 30.
func TestEngineOverflow(t *testing.T) {
	if !inChild("TestEngineOverflow") {
		logChildReport(t, runChild(t, "TestEngineOverflow"), "overflows=")
		return
	}
	const conns, limit, rounds, size = 200, 16, 20, 64
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	h := gatedEcho{Echo: modeltest.Echo{Opened: make(chan iomodel.EventConn, conns)}, open: make(chan struct{})}
	e, err := NewEngine(h, iomodel.EngineConfig{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	s := modeltest.Serve(t, e)
	before := Signals()

	cs := make([]net.Conn, conns)
	for i := range cs {
		cs[i] = s.Dial(t)
	}
	for range conns {
		modeltest.Within(t, h.Opened, "the Engine to open every connection")
	}
	msg := func(i, k int) []byte { return bytes.Repeat([]byte{byte(i), byte(k)}, size/2) }
	var g modeltest.Group
	for i, c := range cs {
		g.Go(func() error {
			want := make([]byte, 0, rounds*size)
			for k := range rounds {
				want = append(want, msg(i, k)...)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil {
				return fmt.Errorf("conn %d: %v", i, err)
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("conn %d: the echo differs from what was sent", i)
			}
			return nil
		})
	}
	// Every connection gets its next message before any gets two, so
	// events from all 200 are due at once.
	for k := range rounds {
		for i, c := range cs {
			if _, err := c.Write(msg(i, k)); err != nil {
				t.Fatal(err)
			}
		}
		if k == 0 {
			close(h.open)
		}
	}
	g.Wait(t, modeltest.ClientDeadline+modeltest.Step, "the echoes")
	after := Signals()
	fmt.Printf("overflows=%d signals=%d stale=%d\n", after.Overflows-before.Overflows, after.Signals-before.Signals, after.Stale-before.Stale)
	if after.Overflows == before.Overflows {
		t.Error("the real-time queue never overflowed (no SIGIO read)")
	}
	s.Shutdown(t)
}

// gatedEcho is an echo Handler whose OnData holds its loop until open is
// closed.
type gatedEcho struct {
	modeltest.Echo
	open chan struct{}
}

func (h gatedEcho) OnData(c iomodel.EventConn, data []byte) int {
	<-h.open
	return h.Echo.OnData(c, data)
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
	e, err := NewEngine(modeltest.Echo{}, iomodel.EngineConfig{Loops: loops}, WithEngineSignal(sig))
	if err != nil {
		t.Fatal(err)
	}
	s := modeltest.Serve(t, e)
	// Serve has started the loops once a connection is echoed.
	c := s.Dial(t)
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
	s.Shutdown(t)
	if ids := blocking(); len(ids) != 0 {
		t.Errorf("threads still blocking signal %d and SIGIO after Shutdown: %v", sig, ids)
	}
}

// TestEngineSuite runs the loop shape's conformance suite on the Engine.
func TestEngineSuite(t *testing.T) { conntest.RunEngine(t, modeltest.Of(NewEngine)) }

// BenchmarkEngineEcho: 64-byte round trips on the Engine, clients in this
// process (for the server's own CPU per message, see README.md).
func BenchmarkEngineEcho(b *testing.B) { modeltest.BenchEcho(b, modeltest.Of(NewEngine)) }
