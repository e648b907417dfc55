//go:build linux

package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLoadSmoke: one tiny round of the load benchmark, one model and net,
// through wrk (plain, with a body, over TLS) and our echo client.
func TestLoadSmoke(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed: Debian package wrk")
	}
	if testing.Short() {
		t.Skip("runs wrk for several seconds")
	}
	r := runArgs(t, "load", "-models", "multiplex", "-conns", "10", "-rounds", "1", "-d", "1s", "-shapes", "hello,body,https,echo", "-progress=false")
	if r.code != 0 {
		t.Fatalf("status %d; stderr %q; stdout:\n%s", r.code, r.err, r.stdout)
	}
	t.Logf("\n%s", r.stdout)
	if !strings.HasPrefix(r.stdout, "    iomodel load -models multiplex -conns 10 ") {
		t.Errorf("the output does not start with the command line:\n%s", r.stdout)
	}
	for _, shape := range []string{"hello", "body", "https", "echo"} {
		for _, server := range []string{"multiplex/epoll", "net"} {
			row := "| " + shape + " | 10 | " + server + " | "
			if !strings.Contains(r.stdout, row) {
				t.Errorf("no median row %q", row)
			}
		}
	}
	if strings.Contains(r.stdout, "failed") {
		t.Errorf("a run failed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "the client is ours") {
		t.Error("the output does not say that the echo client is ours")
	}
}

func TestLoadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"load", "-shapes", "nope"},
		{"load", "-conns", "0"},
		{"load", "-rounds", "0"},
		{"load", "-models", "nope"},
		{"load", "extra"},
	} {
		if r := runArgs(t, args...); r.code != 2 {
			t.Errorf("%q: status %d (stderr %q), want 2", args, r.code, r.err)
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"-conns", "100,1000", "-shapes", "a b", "-x", "it's"})
	want := `iomodel load -conns 100,1000 -shapes 'a b' -x 'it'\''s'`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
}

// TestLargeConns: the default counts gain 10000 and 15000 where the
// descriptor limit allows them, and a line says which are left out.
func TestLargeConns(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		more  []int
		note  string
	}{
		{20000, []int{10000, 15000}, ""},
		{15256, []int{10000, 15000}, ""},
		{15255, []int{10000}, "RLIMIT_NOFILE's hard limit is 15255: no runs at 15000 connections (each side needs a descriptor per connection and 256 more; raise it with ulimit -Hn)"},
		{1024, nil, "RLIMIT_NOFILE's hard limit is 1024: no runs at 10000 and 15000 connections (each side needs a descriptor per connection and 256 more; raise it with ulimit -Hn)"},
	} {
		more, note := largeConns(c.limit)
		if !slices.Equal(more, c.more) || note != c.note {
			t.Errorf("largeConns(%d) = %v, %q; want %v, %q", c.limit, more, note, c.more, c.note)
		}
	}
}
