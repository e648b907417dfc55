//go:build linux

package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestWelcomeSession(t *testing.T) {
	w := &welcomeSession{model: "m"}
	// Each piece is what one Recv returned: every line in it is answered,
	// and so is what it ends with without a newline (the seed's client
	// sends "I" and its name so, and waits for the answer).
	for _, tc := range []struct{ in, want string }{
		{"IAda", "Hello, IAda! Welcome to the m server.\n"},
		{"Ada\r\nBob\n", "Hello, Ada! Welcome to the m server.\nHello, Bob! Welcome to the m server.\n"},
		{"\n", "Hello, ! Welcome to the m server.\n"},
		{"Cy\nDi", "Hello, Cy! Welcome to the m server.\nHello, Di! Welcome to the m server.\n"},
	} {
		if out, _ := w.feed([]byte(tc.in)); string(out) != tc.want {
			t.Errorf("feed(%q) = %q, want %q", tc.in, out, tc.want)
		}
		if out := w.end(); out != nil {
			t.Errorf("end after feed(%q) = %q: everything was answered", tc.in, out)
		}
	}
	// A line longer than maxLine is answered in pieces of maxLine bytes.
	long := bytes.Repeat([]byte("x"), 2*maxLine+1)
	out, _ := w.feed(append(long, '\n'))
	if n := bytes.Count(out, []byte("Hello, ")); n != 3 {
		t.Errorf("%d answers to a line of %d bytes, want 3", n, len(long))
	}
	if w.end() != nil {
		t.Error("end after a complete line answers again")
	}
}

// TestServeWays: the non-blocking model serves from one polling loop, the
// others with a goroutine per client.
func TestServeWays(t *testing.T) {
	for model, want := range map[string]string{
		"nonblock":  "one goroutine polls the listener and every client",
		"blocking":  "one goroutine per client; each one blocked in read(2)",
		"multiplex": "they all wait on one epoll poller thread",
	} {
		s := startServer(t, "-model", model, "127.0.0.1:0")
		s.stop(t)
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("serve -model %s says %q, want %q", model, s.stderr.String(), want)
		}
	}
}

// TestNetcat: nc, the ordinary tool, talks to the servers: it sends a line,
// shuts down its side (-N) and prints what came back before the server
// closed.
func TestNetcat(t *testing.T) {
	nc, err := exec.LookPath("nc")
	if err != nil {
		t.Skip("nc is not installed (Debian: netcat-openbsd)")
	}
	for _, m := range available(t) {
		for _, welcome := range []bool{false, true} {
			args := []string{"-model", m.Name, "127.0.0.1:0"}
			want := "via nc\n"
			if welcome {
				args = append([]string{"-welcome"}, args...)
				want = "Hello, via nc! Welcome to the " + m.Name + " server.\n"
			}
			s := startServer(t, args...)
			host, port, _ := strings.Cut(s.addr, ":")
			cmd := exec.Command(nc, "-N", "-w", "5", host, port)
			cmd.Stdin = strings.NewReader("via nc\n")
			out, err := cmd.Output()
			if err != nil || string(out) != want {
				t.Errorf("nc to serve %q: %q, %v; want %q", args, out, err, want)
			}
			s.stop(t)
		}
	}
}
