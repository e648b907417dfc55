package multiplex_test

import (
	"fmt"
	"io"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/internal/modeltest"
	"github.com/iomodel/iomodel/multiplex"
)

// TestEngine runs the loop shape's suite on every backend.
func TestEngine(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []multiplex.EngineOption
	}{
		{"epoll", nil},
		{"epoll-level", []multiplex.EngineOption{multiplex.WithLevelTriggered()}},
		{"poll", []multiplex.EngineOption{multiplex.WithEngineBackend(multiplex.Poll)}},
		{"select", []multiplex.EngineOption{multiplex.WithEngineBackend(multiplex.Select)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conntest.RunEngine(t, modeltest.Of(multiplex.NewEngine, tc.opts...))
		})
	}
}

// BenchmarkEngineEcho: 64-byte round trips on the Engine (epoll), and on
// net's goroutine server as the control, clients in this process.
func BenchmarkEngineEcho(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("engine/conns=%d", n), func(b *testing.B) {
			conntest.BenchEngineEcho(b, modeltest.Of(multiplex.NewEngine), n)
		})
		b.Run(fmt.Sprintf("net/conns=%d", n), func(b *testing.B) { conntest.BenchNetEcho(b, n) })
	}
}

// TestEngineSelectFDSetSize: a select Engine cannot watch a descriptor of
// FD_SETSIZE (1024) or more; such a connection is closed at accept, counted
// in EngineStats.Rejected, and the Engine goes on serving the others.
func TestEngineSelectFDSetSize(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 1200 {
		t.Skipf("RLIMIT_NOFILE's hard limit %d leaves no room above FD_SETSIZE", lim.Max)
	}
	if lim.Cur < 1200 {
		raised := lim
		raised.Cur = 1200
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &raised); err != nil {
			t.Fatal(err)
		}
		defer unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
	closed := make(chan error, 4)
	e, err := multiplex.NewEngine(modeltest.Echo{Closed: closed}, iomodel.EngineConfig{Loops: 1}, multiplex.WithEngineBackend(multiplex.Select))
	if err != nil {
		t.Fatal(err)
	}
	s := modeltest.Serve(t, e)
	low := s.Dial(t)
	echoOnce(t, low, "below FD_SETSIZE")

	// Fill the descriptors below 1024, so the next accepted one is above.
	modeltest.FillDescriptors(t, 1030)
	high := s.Dial(t)
	if n, err := high.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a connection above FD_SETSIZE answered %d bytes; want it closed", n)
	}
	if st := e.Stats(); st.Rejected != 1 {
		t.Errorf("EngineStats.Rejected = %d, want 1", st.Rejected)
	}
	echoOnce(t, low, "after the refused one")
	s.Shutdown(t)
	if err := modeltest.Within(t, closed, "OnClose at Shutdown"); err != nil {
		t.Errorf("OnClose at Shutdown: %v", err)
	}
}

// echoOnce sends "ping" on c and fails t unless it comes back; what
// names the moment.
func echoOnce(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %s: %q, %v", what, buf, err)
	}
}
