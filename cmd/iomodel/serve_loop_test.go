//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// respRoundTrip sends SET, GET, DEL and an inline PING pipelined, in
// pieces, and checks the replies byte for byte.
func respRoundTrip(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*2\r\n$3\r\nDEL\r\n$3\r\nkey\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
	want := "+OK\r\n$5\r\nva\r\nl\r\n:1\r\n+PONG\r\n$-1\r\n"
	for _, part := range []string{req[:7], req[7:40], req[40:]} {
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // not synchronization: lets the pieces arrive apart, most of the time
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("replies %q, %v; want %q", got, err, want)
	}
	// QUIT: +OK, then the server closes.
	io.WriteString(c, "QUIT\r\n")
	if b, err := io.ReadAll(bufio.NewReader(c)); err != nil || string(b) != "+OK\r\n" {
		t.Errorf("after QUIT: %q, %v; want +OK and EOF", b, err)
	}
}

// redisCLI checks, when redis-cli is installed, that it gets its answers.
func redisCLI(t *testing.T, addr string) {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Logf("redis-cli not installed (Debian: redis-tools): only our own client ran")
		return
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader("SET a 1\nGET a\nDEL a\nPING\n")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "OK\n1\n1\nPONG\n" {
		t.Errorf("redis-cli: %q, %v", out, err)
	}
}

// TestServeRESP: serve -resp answers RESP on every model's goroutine shape.
func TestServeRESP(t *testing.T) {
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			s := startServer(t, "-model", m.Name, "-resp", "127.0.0.1:0")
			respRoundTrip(t, s.addr)
			redisCLI(t, s.addr)
		})
	}
}

// TestServeLoop: serve -loop echoes, and with -resp serves RESP, on each
// model's engine; a model without one is refused with status 2, saying so.
func TestServeLoop(t *testing.T) {
	for _, m := range available(t) {
		t.Run(m.Name, func(t *testing.T) {
			if !m.HasEngine() {
				r := runArgs(t, "serve", "-model", m.Name, "-loop", "127.0.0.1:0")
				if r.code != 2 || !strings.Contains(r.err, "no loop shape") {
					t.Errorf("serve -loop on %s without an engine: status %d, stderr %q", m.Name, r.code, r.err)
				}
				return
			}
			s := startServer(t, "-model", m.Name, "-loop", "127.0.0.1:0")
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			for i := range 3 {
				msg := fmt.Sprintf("line %d on the %s loop\n", i, m.Name)
				fmt.Fprint(c, msg)
				if got := readLine(t, r); got != msg {
					t.Errorf("echo %q, want %q", got, msg)
				}
			}
			c.Close()
			s.stop(t)
			if !strings.Contains(s.stderr.String(), "stopped after 1 clients") {
				t.Errorf("stderr %q", s.stderr.String())
			}

			s = startServer(t, "-model", m.Name, "-loop", "-resp", "127.0.0.1:0")
			respRoundTrip(t, s.addr)
			redisCLI(t, s.addr)
		})
	}
	if r := runArgs(t, "serve", "-loop", "-welcome", "127.0.0.1:0"); r.code != 2 {
		t.Errorf("serve -loop -welcome: status %d, want 2", r.code)
	}
	if _, err := models.Lookup("net"); err == nil {
		r := runArgs(t, "serve", "-model", "net", "-loop", "127.0.0.1:0")
		if r.code != 2 || !strings.Contains(r.err, "goroutine per connection") {
			t.Errorf("serve -model net -loop: status %d, stderr %q", r.code, r.err)
		}
	}
}

// TestQuick: the no-argument comparison's machinery, small: a model in
// both shapes beside net, as JSON and an SVG.
func TestQuick(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "shapes.svg")
	r := runArgs(t, "quick", "-models", "multiplex", "-rounds", "1", "-d", "100ms", "-conns", "5", "-idle", "20", "-format", "json", "-svg", svg, "-progress=false")
	if r.code != 0 {
		t.Fatalf("status %d, stderr %q, stdout %s", r.code, r.err, r.stdout)
	}
	var got struct {
		Setup   map[string]any `json:"setup"`
		Results []struct {
			Model, Shape string
			Msgs         float64  `json:"msgs_s"`
			Syscalls     *float64 `json:"syscalls_per_msg"`
			Idle         float64  `json:"idle_bytes_per_conn"`
			Error        string   `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	checkRunInfo(t, got.Setup, "iomodel quick -models multiplex -rounds 1")
	var names []string
	for _, x := range got.Results {
		names = append(names, x.Model+" "+x.Shape)
		if x.Error != "" || x.Msgs <= 0 || (x.Syscalls == nil) != (x.Model == "net") {
			t.Errorf("row %+v", x)
		}
	}
	want := []string{"multiplex/epoll conn", "multiplex/epoll loop", "net "}
	if m, _ := models.Lookup("multiplex"); !m.HasEngine() {
		want = []string{"multiplex/epoll conn", "net "}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("rows %q, want %q", names, want)
	}
	for _, k := range []string{"kernel", "go", "gomaxprocs", "commit", "cpus"} {
		if _, ok := got.Setup[k]; !ok {
			t.Errorf("setup lacks %q: %v", k, got.Setup)
		}
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "multiplex/epoll") || !strings.HasSuffix(strings.TrimSpace(string(b)), "</svg>") {
		t.Errorf("SVG: %v, %d bytes", err, len(b))
	}
}

// TestServeCPUProfile: -cpuprofile leaves a profile once serve stops; a
// path that cannot be written is refused with status 2.
func TestServeCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	s := startServer(t, "-model", "multiplex", "-loop", "-resp", "-cpuprofile", path, "127.0.0.1:0")
	respRoundTrip(t, s.addr)
	s.stop(t)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("profile: %v, %v", fi, err)
	}
	if r := runArgs(t, "serve", "-cpuprofile", "/nonexistent/dir/cpu.prof", "127.0.0.1:0"); r.code != 2 {
		t.Errorf("unwritable profile: status %d, stderr %q", r.code, r.err)
	}
}
