package sigdriven

import (
	"errors"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The façade's defects of issue 13, each checked on this model: deadlines
// after Close, the Listener's SetDeadline (a deadline set while Accept
// waits for its signal applies to it), and addresses after Close. The
// checks go through interfaces, so that a method missing fails the test
// rather than its build.

type deadliner interface {
	SetDeadline(time.Time) error
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

func listen(t *testing.T, opts []Option) *Listener {
	t.Helper()
	l, err := Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dialAccept returns a dialed Conn and the Conn l accepted for it.
func dialAccept(t *testing.T, l *Listener, opts []Option) (dialed, accepted *Conn) {
	t.Helper()
	type result struct {
		c   *Conn
		err error
	}
	acc := make(chan result, 1)
	go func() {
		c, err := l.AcceptConn()
		acc <- result{c, err}
	}()
	d, err := Dial("tcp", l.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		d.Close()
		t.Fatal(r.err)
	}
	return d, r.c
}

func wantClosedErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("%s: %v; want an error wrapping net.ErrClosed", what, err)
	}
	var op *net.OpError
	if err != nil && (!errors.As(err, &op) || op.Op != "set") {
		t.Errorf("%s: %#v; want a *net.OpError with Op \"set\"", what, err)
	}
}

func TestDeadlineAfterClose(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			a, b := socketpair(t, unix.SOCK_STREAM)
			ca, err := New(a, m.opts...)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := New(b, m.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			if err := ca.SetDeadline(time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("SetDeadline on an open Conn: %v", err)
			}
			ca.Close()
			var c deadliner = ca
			wantClosedErr(t, "Conn.SetDeadline after Close", c.SetDeadline(time.Now()))
			wantClosedErr(t, "Conn.SetReadDeadline after Close", c.SetReadDeadline(time.Now()))
			wantClosedErr(t, "Conn.SetWriteDeadline after Close", c.SetWriteDeadline(time.Now()))

			l := listen(t, m.opts)
			l.Close()
			sl, ok := any(l).(interface{ SetDeadline(time.Time) error })
			if !ok {
				t.Fatal("Listener has no SetDeadline (net.TCPListener has)")
			}
			wantClosedErr(t, "Listener.SetDeadline after Close", sl.SetDeadline(time.Now()))
		})
	}
}

// TestListenerDeadline: a deadline set while Accept sleeps, waiting for
// the listening socket's signal, wakes it and fails it with
// os.ErrDeadlineExceeded; a past deadline fails Accept at once, and
// clearing it lets the next Accept take a connection.
func TestListenerDeadline(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			l := listen(t, m.opts)
			defer l.Close()
			sl, ok := any(l).(interface{ SetDeadline(time.Time) error })
			if !ok {
				t.Fatal("Listener has no SetDeadline (net.TCPListener has)")
			}
			errc := make(chan error, 1)
			go func() {
				c, err := l.Accept()
				if err == nil {
					c.Close()
				}
				errc <- err
			}()
			// Until the Accept sleeps: only the new deadline can wake it.
			for limit := time.Now().Add(10 * time.Second); l.Stats().Read.Waits == 0; runtime.Gosched() {
				if time.Now().After(limit) {
					t.Fatal("Accept never went to sleep")
				}
			}
			start := time.Now()
			if err := sl.SetDeadline(start.Add(50 * time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				t.Fatal("a deadline set while Accept was pending did not end it after 10s")
			}
			var ne net.Error
			if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("pending Accept past its deadline: %v; want os.ErrDeadlineExceeded, Timeout true", err)
			}
			if e := time.Since(start); e < 50*time.Millisecond {
				t.Errorf("Accept returned after %v, before its deadline", e)
			}

			// A past deadline fails at once, even with a connection waiting.
			d, err := Dial("tcp", l.Addr().String(), m.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := l.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Accept past the deadline with a connection waiting: %v", err)
			}
			if err := sl.SetDeadline(time.Time{}); err != nil {
				t.Fatal(err)
			}
			c, err := l.Accept()
			if err != nil {
				t.Fatalf("Accept after the deadline was cleared: %v", err)
			}
			c.Close()
		})
	}
}

// TestAddrsAfterClose: the addresses a listener, a dialed and an accepted
// Conn had stay after Close, also when nobody asked for them before.
func TestAddrsAfterClose(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			// Never asked before Close.
			l := listen(t, m.opts)
			l.Close()
			if a := l.Addr(); a == nil || a.String() == "" || a.(*net.TCPAddr).Port == 0 {
				t.Errorf("Listener.Addr after Close, never asked before: %v", a)
			}

			l = listen(t, m.opts)
			defer l.Close()
			want := l.Addr().String()
			d, a := dialAccept(t, l, m.opts)
			d.Close()
			a.Close()
			l.Close()
			if got := l.Addr(); got == nil || got.String() != want {
				t.Errorf("Listener.Addr after Close: %v, want %s", got, want)
			}
			for _, c := range []struct {
				name          string
				local, remote net.Addr
			}{
				{"dialed", d.LocalAddr(), d.RemoteAddr()},
				{"accepted", a.LocalAddr(), a.RemoteAddr()},
			} {
				if c.local == nil || c.remote == nil {
					t.Errorf("%s Conn after Close: LocalAddr %v, RemoteAddr %v; want both", c.name, c.local, c.remote)
				}
			}
			if d.LocalAddr() != nil && a.RemoteAddr() != nil && d.LocalAddr().String() != a.RemoteAddr().String() {
				t.Errorf("dialed LocalAddr %v, accepted RemoteAddr %v", d.LocalAddr(), a.RemoteAddr())
			}
			if d.RemoteAddr() != nil && d.RemoteAddr().String() != want {
				t.Errorf("dialed RemoteAddr %v, listener at %s", d.RemoteAddr(), want)
			}
		})
	}
}
