//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// available lists the models that can run on this machine.
func available(t *testing.T) []models.Model {
	var ms []models.Model
	for _, m := range models.All() {
		if reason := unavailable(m); reason != "" {
			t.Logf("%s is unavailable here: %s", m.Name, reason)
			continue
		}
		ms = append(ms, m)
	}
	return ms
}

// TestServeSendEveryPair: a server in every model answers a client in every
// model.
func TestServeSendEveryPair(t *testing.T) {
	ms := available(t)
	for _, sm := range ms {
		t.Run("serve="+sm.Name, func(t *testing.T) {
			s := startServer(t, "-model", sm.Name, "127.0.0.1:0")
			for _, cm := range ms {
				text := fmt.Sprintf("from %s to %s", cm.Name, sm.Name)
				r := runArgs(t, "send", "-model", cm.Name, s.addr, text)
				if r.code != 0 || r.stdout != text+"\n" {
					t.Errorf("send -model %s: status %d, printed %q, stderr %q; want %q", cm.Name, r.code, r.stdout, r.err, text+"\n")
				}
			}
			s.stop(t)
			if want := fmt.Sprintf("stopped after %d clients", len(ms)); !strings.Contains(s.stderr.String(), want) {
				t.Errorf("serve's stderr %q does not say %q", s.stderr.String(), want)
			}
		})
	}
}

// TestSendForms: -n sends the text as it is, and several lines come back as
// several lines.
func TestSendForms(t *testing.T) {
	s := startServer(t, "-model", "blocking", "127.0.0.1:0")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", s.addr, "no newline"}, "no newline"},
		{[]string{s.addr, "one\ntwo\nthree"}, "one\ntwo\nthree\n"},
		{[]string{s.addr, "ends in newline\n"}, "ends in newline\n"},
	} {
		r := runArgs(t, append([]string{"send", "-model", "nonblock"}, tc.args...)...)
		if r.code != 0 || r.stdout != tc.want {
			t.Errorf("send %q: status %d, printed %q (stderr %q), want %q", tc.args, r.code, r.stdout, r.err, tc.want)
		}
	}
}

// TestSendTimeout: a server that never answers makes send fail (status 1)
// after -timeout, saying so.
func TestSendTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	for _, m := range []string{"blocking", "multiplex"} {
		r := runArgs(t, "send", "-model", m, "-timeout", "50ms", ln.Addr().String(), "anyone?")
		if r.code != 1 || !strings.Contains(r.err, "no complete answer within 50ms") {
			t.Errorf("send -model %s to a silent server: status %d, stderr %q", m, r.code, r.err)
		}
	}
	ln.Close()
	for c := range accepted {
		c.Close()
	}
}

// TestWelcome: with -welcome the server greets every line, in every model.
func TestWelcome(t *testing.T) {
	for _, m := range available(t) {
		s := startServer(t, "-model", m.Name, "-welcome", "127.0.0.1:0")
		r := runArgs(t, "send", "-model", "blocking", s.addr, "Ada\nGrace")
		want := fmt.Sprintf("Hello, Ada! Welcome to the %[1]s server.\nHello, Grace! Welcome to the %[1]s server.\n", m.Name)
		if r.code != 0 || r.stdout != want {
			t.Errorf("%s: status %d, printed %q (stderr %q), want %q", m.Name, r.code, r.stdout, r.err, want)
		}
		s.stop(t)
	}
}

// TestManyClientsAtOnce: every server holds many plain TCP clients (what nc
// or curl would be) open at once and answers each of them.
func TestManyClientsAtOnce(t *testing.T) {
	n := 64
	if testing.Short() {
		n = 16
	}
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			s := startServer(t, "-model", m.Name, "127.0.0.1:0")
			conns := make([]net.Conn, n)
			for i := range conns {
				c, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				conns[i] = c
			}
			// Every client is connected before any is answered, so the
			// server must be serving them all at once.
			var wg sync.WaitGroup
			for i, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := fmt.Sprintf("client %d\n", i)
					if _, err := c.Write([]byte(msg)); err != nil {
						t.Error(err)
						return
					}
					if got := readLine(t, bufio.NewReader(c)); got != msg {
						t.Errorf("client %d got %q", i, got)
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestServeInterrupt: the real program stops on SIGINT, with clients still
// connected, and exits 0.
func TestServeInterrupt(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to run as the program: %v", err)
	}
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel() // the processes mostly wait
			cmd := command(context.Background(), self, "serve", "-model", m.Name, "127.0.0.1:0")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("no address from serve: %v; stderr %q", err, stderr.String())
			}
			c, err := net.Dial("tcp", addrOf(t, strings.TrimSpace(line)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintln(c, "still here")
			r := bufio.NewReader(c)
			if got := readLine(t, r); got != "still here\n" {
				t.Fatalf("echo %q", got)
			}
			// The client stays connected, its handler waiting in Recv.
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve after SIGINT: %v; stderr %q", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("serve still running 10 s after SIGINT; stderr %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), "stopped after 1 clients") {
				t.Errorf("stderr %q", stderr.String())
			}
			// The server closed the client's connection on its way out.
			if b, err := r.ReadByte(); err == nil {
				t.Errorf("read %q after the server stopped", b)
			}
		})
	}
}

// TestWelcomeWithoutNewline: the seed's client sends "I" and its text with
// no newline and waits for one answer; every model's server answers it.
func TestWelcomeWithoutNewline(t *testing.T) {
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			s := startServer(t, "-model", m.Name, "-welcome", "127.0.0.1:0")
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte("IAda")); err != nil {
				t.Fatal(err)
			}
			got := readLine(t, bufio.NewReader(c))
			if want := fmt.Sprintf("Hello, IAda! Welcome to the %s server.\n", m.Name); got != want {
				t.Errorf("answer %q, want %q", got, want)
			}
		})
	}
}

// TestServeHTTP: serve -http answers net/http's requests on every model:
// the greeting, the 64 KiB answer and a posted body.
func TestServeHTTP(t *testing.T) {
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			s := startServer(t, "-model", m.Name, "-http", "127.0.0.1:0")
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			base := "http://" + s.addr
			for _, tc := range []struct {
				method, path string
				body         io.Reader
				wantLen      int
			}{
				{"GET", load.PathHello, nil, len("Hello, World!")},
				{"GET", load.PathLarge, nil, load.LargeSize},
				{"POST", load.PathBody, strings.NewReader(strings.Repeat("b", 4096)), len("Hello, World!")},
			} {
				req, err := http.NewRequest(tc.method, base+tc.path, tc.body)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", tc.method, tc.path, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || len(b) != tc.wantLen {
					t.Errorf("%s %s: status %d, %d bytes, %v; want 200 and %d bytes", tc.method, tc.path, resp.StatusCode, len(b), err, tc.wantLen)
				}
			}
		})
	}
	if r := runArgs(t, "serve", "-http", ":0", "-welcome"); r.code != 2 {
		t.Errorf("serve -http -welcome: status %d, want 2", r.code)
	}
}
