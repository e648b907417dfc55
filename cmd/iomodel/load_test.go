//go:build linux

package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/internal/selfexec"
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
	r := runArgs(t, "load", "-models", "multiplex", "-conns", "10", "-rounds", "1", "-d", "1s", "-shapes", "hello,body,https,echo", "-progress=false", "-format", "markdown")
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
		{"load", "-format", "xml"},
		{"load", "-model-shapes", "both"},
		{"load", "-clients", "0"},
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

// TestLoadEvents: one tiny round of the event shapes: redis-benchmark
// against Redis, the peers, a model's goroutine shape (and its loop shape
// when it has one) and net, the echo client and the idle client; every
// server reached, none failed.
func TestLoadEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dozen servers and clients")
	}
	if emu := selfexec.Emulator(); emu != "" {
		t.Skipf("under %s: the peers would be built for the emulated machine and Redis runs natively; the event shapes are measured on real hardware", emu)
	}
	args := []string{"load", "-models", "multiplex", "-format", "markdown", "-rounds", "1", "-d", "200ms", "-clients", "10", "-pipeline", "4", "-requests", "2000",
		"-echo-conns", "10", "-idle", "50", "-idle-settle", "50ms", "-progress=false", "-per-round=false"}
	r := runArgs(t, args...)
	t.Logf("\n%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("status %d; stderr %q", r.code, r.err)
	}
	servers := []string{"multiplex/epoll conn", "net"}
	if m, _ := models.Lookup("multiplex"); m.HasEngine() {
		servers = append(servers, "multiplex/epoll loop")
	}
	if _, err := exec.LookPath("go"); err == nil {
		servers = append(servers, "gnet", "nbio")
	}
	rows := []string{}
	for _, s := range servers {
		rows = append(rows, "| tcp-echo | 10 | "+s+" | ", "| 50 | "+s+" | ")
		if _, err := exec.LookPath("redis-benchmark"); err == nil {
			rows = append(rows, "| resp set P4 | 10 | "+s+" | ", "| resp get P4 | 10 | "+s+" | ")
		}
	}
	if _, err := exec.LookPath("redis-server"); err == nil {
		rows = append(rows, "| resp get P4 | 10 | redis | ")
	} else {
		t.Log("redis-server is not installed (Debian: redis-server): Redis's row left out")
	}
	for _, row := range rows {
		if !strings.Contains(r.stdout, row) {
			t.Errorf("no median row starting %q", row)
		}
	}
	if strings.Contains(r.stdout, "failed") {
		t.Errorf("a run failed:\n%s", r.stdout)
	}
	for _, want := range []string{"    iomodel load -models multiplex ", "GOMAXPROCS", "commit "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q", want)
		}
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
