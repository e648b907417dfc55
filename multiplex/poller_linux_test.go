package multiplex_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

func openFDCount(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func rawPair(t testing.TB) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

func TestDefaultPollerStops(t *testing.T) {
	before := openFDCount(t)
	a, b := rawPair(t)
	ca, err := multiplex.New(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := multiplex.New(b)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Poller() != cb.Poller() || ca.Poller().Backend() != multiplex.Epoll {
		t.Fatalf("two Conns on the default Poller got %p and %p", ca.Poller(), cb.Poller())
	}
	// epoll fd and eventfd, besides the pair.
	if got := openFDCount(t); got != before+4 {
		t.Errorf("with the default Poller running: %d fds, want %d", got, before+4)
	}
	ca.Close()
	if got := openFDCount(t); got != before+3 {
		t.Errorf("after one Close: %d fds, want %d", got, before+3)
	}
	cb.Close()
	if got := openFDCount(t); got != before {
		t.Errorf("after the last Close: %d fds, want %d (the poller's fds closed)", got, before)
	}
	// goleak in TestMain checks that its goroutine is gone.
}

func TestNewRefuses(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pollers(t, func(t *testing.T, opts []multiplex.Option) {
		before := openFDCount(t)
		c, err := multiplex.New(int(f.Fd()), opts...)
		if err == nil {
			c.Close()
			t.Fatal("New(regular file) succeeded")
		}
		if !errors.Is(err, multiplex.ErrNotPollable) {
			t.Errorf("New(regular file) = %v, want ErrNotPollable", err)
		}
		t.Logf("regular file: %v", err)
		if got := openFDCount(t); got != before {
			t.Errorf("refused New changed the fd count from %d to %d", before, got)
		}
		// The file is still the caller's and still open.
		if _, err := f.Write([]byte("x")); err != nil {
			t.Errorf("file after refused New: %v", err)
		}
	})
}

func TestSelectPollerFDSetSize(t *testing.T) {
	p, err := multiplex.NewPoller(multiplex.WithBackend(multiplex.Select))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, b := rawPair(t)
	defer unix.Close(a)
	defer unix.Close(b)
	high, err := unix.FcntlInt(uintptr(a), unix.F_DUPFD_CLOEXEC, 1500)
	if err != nil {
		t.Skipf("cannot dup to fd 1500 (RLIMIT_NOFILE too low?): %v", err)
	}
	defer unix.Close(high)
	c, err := multiplex.New(high, multiplex.WithPoller(p))
	if err == nil {
		c.Close()
		t.Fatalf("New(fd %d) on a select Poller succeeded", high)
	}
	if !errors.Is(err, multiplex.ErrFDSetSize) {
		t.Fatalf("New(fd %d) = %v, want ErrFDSetSize", high, err)
	}
}

func TestPollerClosedUnderConns(t *testing.T) {
	for _, backend := range []multiplex.Backend{multiplex.Epoll, multiplex.Poll, multiplex.Select} {
		t.Run(backend.String(), func(t *testing.T) {
			p, err := multiplex.NewPoller(multiplex.WithBackend(backend))
			if err != nil {
				t.Fatal(err)
			}
			a, b := rawPair(t)
			ca, err := multiplex.New(a, multiplex.WithPoller(p))
			if err != nil {
				t.Fatal(err)
			}
			cb, err := multiplex.New(b, multiplex.WithPoller(p))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() {
				_, err := ca.Recv(make([]byte, 1))
				done <- err
			}()
			// Make sure the Recv is waiting: Stats counts its wait.
			for ca.Stats().Read.Waits == 0 {
				time.Sleep(time.Millisecond)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			err = <-done
			if !errors.Is(err, multiplex.ErrPollerClosed) {
				t.Fatalf("Recv waiting when its Poller closed: %v, want ErrPollerClosed", err)
			}
			if _, ok := err.(*net.OpError); !ok {
				t.Errorf("error is %T, want *net.OpError", err)
			}
			// What needs no wait still works, and Close still closes.
			if _, err := cb.Send([]byte("x")); err != nil {
				t.Errorf("Send after Poller.Close: %v", err)
			}
			if n, err := ca.Recv(make([]byte, 1)); n != 1 || err != nil {
				t.Errorf("Recv of ready data after Poller.Close = %d, %v", n, err)
			}
			if err := p.Close(); !errors.Is(err, multiplex.ErrPollerClosed) {
				t.Errorf("second Poller.Close = %v", err)
			}
			if err := ca.Close(); err != nil {
				t.Error(err)
			}
			if err := cb.Close(); err != nil {
				t.Error(err)
			}
			if _, err := multiplex.New(a, multiplex.WithPoller(p)); err == nil {
				t.Error("New on a closed Poller succeeded")
			}
		})
	}
}

func TestListenerDeadline(t *testing.T) {
	ln, err := multiplex.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error)
	go func() {
		_, err := ln.Accept()
		done <- err
	}()
	// Set while the Accept is (or soon will be) waiting: it applies either way.
	ln.SetDeadline(time.Now().Add(20 * time.Millisecond))
	err = <-done
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Accept past its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("Accept deadline error %v: Timeout() is not true", err)
	}
}
