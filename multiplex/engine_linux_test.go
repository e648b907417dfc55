package multiplex_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
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
			conntest.RunEngine(t, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
				return multiplex.NewEngine(h, cfg, tc.opts...)
			})
		})
	}
}

// BenchmarkEngineEcho: 64-byte round trips on the Engine (epoll), and on
// net's goroutine server as the control, clients in this process.
func BenchmarkEngineEcho(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("engine/conns=%d", n), func(b *testing.B) {
			conntest.BenchEngineEcho(b, func(h iomodel.Handler, cfg iomodel.EngineConfig) (conntest.Engine, error) {
				return multiplex.NewEngine(h, cfg)
			}, n)
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
	h := echoHandler{closed: closed}
	e, err := multiplex.NewEngine(h, iomodel.EngineConfig{Loops: 1}, multiplex.WithEngineBackend(multiplex.Select))
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
	low, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer low.Close()
	low.SetDeadline(time.Now().Add(10 * time.Second))
	echoOnce(t, low, "below FD_SETSIZE")

	// Fill the descriptors below 1024, so the next accepted one is above.
	var fill []int
	defer func() {
		for _, fd := range fill {
			unix.Close(fd)
		}
	}()
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fill = append(fill, fd)
		if fd >= 1030 {
			break
		}
	}
	high, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer high.Close()
	high.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := high.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a connection above FD_SETSIZE answered %d bytes; want it closed", n)
	}
	if st := e.Stats(); st.Rejected != 1 {
		t.Errorf("EngineStats.Rejected = %d, want 1", st.Rejected)
	}
	echoOnce(t, low, "after the refused one")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != iomodel.ErrEngineClosed {
		t.Errorf("Serve: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("OnClose at Shutdown: %v", err)
	}
}

// echoHandler echoes and reports each OnClose.
type echoHandler struct{ closed chan error }

func (echoHandler) OnOpen(iomodel.EventConn) {}

func (echoHandler) OnData(c iomodel.EventConn, p []byte) int {
	c.Write(p)
	return len(p)
}

func (h echoHandler) OnClose(_ iomodel.EventConn, err error) { h.closed <- err }

func echoOnce(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %s: %q, %v", what, buf, err)
	}
}
