package resp

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveNet serves RESP on package net, a goroutine per connection
// (ServeConn), until the test ends.
func serveNet(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	store := NewStore()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				ServeConn(c, store)
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// tool finds a Redis client, or skips saying it is not installed.
func tool(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian: apt-get install redis-tools): %v", name, err)
	}
	return p
}

func runTool(t *testing.T, path string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v: %s", path, args, err, out)
	}
	return string(out)
}

// TestRedisCLI: redis-cli's commands, and what it prints, as against Redis.
func TestRedisCLI(t *testing.T) {
	cli := tool(t, "redis-cli")
	host, port, _ := net.SplitHostPort(serveNet(t))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG\n"},
		{[]string{"SET", "greeting", "hello world"}, "OK\n"},
		{[]string{"GET", "greeting"}, "hello world\n"},
		{[]string{"DEL", "greeting", "other"}, "1\n"},
		{[]string{"GET", "greeting"}, "\n"},
		{[]string{"NOPE"}, "ERR unknown command 'NOPE', with args beginning with: \n\n"}, // as redis-cli prints Redis's,
	} {
		if got := runTool(t, cli, append([]string{"-h", host, "-p", port}, tc.args...)...); got != tc.want {
			t.Errorf("redis-cli %q printed %q, want %q", tc.args, got, tc.want)
		}
	}
	// Several commands on one connection, from its standard input.
	cmd := exec.Command(cli, "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader("SET a 1\nGET a\nPING\n")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "OK\n1\nPONG\n" {
		t.Errorf("redis-cli with commands on stdin: %q, %v", out, err)
	}
}

// TestRedisBenchmark: redis-benchmark's SET and GET, pipelined and not,
// complete against the server, and its CSV has a row for each.
func TestRedisBenchmark(t *testing.T) {
	bench := tool(t, "redis-benchmark")
	host, port, _ := net.SplitHostPort(serveNet(t))
	for _, p := range []string{"1", "16"} {
		out := runTool(t, bench, "-h", host, "-p", port, "-t", "set,get", "-n", "2000", "-c", "10", "-P", p, "--csv")
		// The CSV's rows, after its header: "SET","rps",... and "GET",...
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], `"SET","`) || !strings.HasPrefix(lines[2], `"GET","`) || strings.Contains(out, `"0.00"`) {
			t.Errorf("-P %s: redis-benchmark printed\n%s", p, out)
		}
	}
}
