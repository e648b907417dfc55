package sigdriven

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"golang.org/x/sys/unix"
)

var modes = []struct {
	name string
	opts []Option
}{
	{"precise", nil},
	{"broadcast", []Option{WithBroadcast()}},
}

func newPrecise(fd int) (iomodel.Conn, error) { return New(fd) }

func newBroadcast(fd int) (iomodel.Conn, error) { return New(fd, WithBroadcast()) }

func TestConformance(t *testing.T) {
	t.Run("precise", func(t *testing.T) { conntest.RunFDs(t, newPrecise, conntest.FDPairs()) })
	t.Run("broadcast", func(t *testing.T) { conntest.RunFDs(t, newBroadcast, conntest.FDPairs()) })
}

func TestDialListen(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []Option
	}{{"precise", nil}, {"broadcast", []Option{WithBroadcast()}}} {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(mode.name+"/"+network, func(t *testing.T) {
				addr := "127.0.0.1:0"
				if network == "unix" {
					addr = t.TempDir() + "/s"
				}
				l, err := Listen(network, addr, mode.opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				done := make(chan error, 1)
				go func() {
					c, err := l.Accept()
					if err != nil {
						done <- err
						return
					}
					defer c.Close()
					_, err = io.Copy(c, c)
					done <- err
				}()
				c, err := Dial(network, l.Addr().String(), mode.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Write([]byte("hello")); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
					t.Fatalf("echo: %q, %v", buf, err)
				}
				if network == "tcp" && c.RemoteAddr().String() != l.Addr().String() {
					t.Errorf("RemoteAddr %v, listener at %v", c.RemoteAddr(), l.Addr())
				}
				c.Close()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if s := l.Stats(); s.Read.Calls != 1 {
					t.Errorf("listener stats %+v: want one accept", s)
				}
			})
		}
	}
}

func TestDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Dial("tcp", addr)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("Dial to a closed port: %v; want ECONNREFUSED", err)
	}
}

func TestAcceptUnblockedByClose(t *testing.T) {
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	// Whether Accept is already waiting or not, it must fail with ErrClosed.
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}

func TestNewBadInput(t *testing.T) {
	if _, err := New(-1); err == nil {
		t.Error("New(-1) succeeded")
	}
	a, b := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(b)
	if _, err := New(a, WithSignal(33)); !errors.Is(err, ErrBadSignal) {
		t.Errorf("signal 33: %v", err)
	}
	unix.Close(a)
	if _, err := New(a); !errors.Is(err, unix.EBADF) {
		t.Errorf("closed fd: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			conntest.RunNew(t, func(fd int) (iomodel.Conn, error) { return New(fd, m.opts...) })
		})
	}
}
