//go:build linux

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/internal/selfexec"
)

// TestHelpOnStdout: every command a user types answers -h, -help, --help
// and `iomodel help CMD` with its usage on stdout, nothing on stderr, and
// status 0; a mistake puts the usage on stderr, with status 2.
func TestHelpOnStdout(t *testing.T) {
	for _, name := range []string{"quick", "bench", "serve", "load", "send", "models"} {
		for _, args := range [][]string{{name, "-h"}, {name, "-help"}, {name, "--help"}, {"help", name}} {
			r := runArgs(t, args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: iomodel "+name) || r.err != "" {
				t.Errorf("iomodel %q: status %d, stdout %.60q, stderr %q; want status 0, the usage on stdout, nothing on stderr", args, r.code, r.stdout, r.err)
			}
		}
	}
	r := runArgs(t, "models", "-bogus")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.err, "usage: iomodel models") {
		t.Errorf("iomodel models -bogus: status %d, stdout %q, stderr %q; want status 2, the usage on stderr", r.code, r.stdout, r.err)
	}
}

// TestLoadHelp: load -h says what it runs, under which load generators,
// how long its defaults take and how to ask for the long run; the time it
// gives is the defaults' plan, and that is about 3 minutes.
func TestLoadHelp(t *testing.T) {
	var fs *flag.FlagSet
	saved := about["load"]
	about["load"] = func(f *flag.FlagSet) string { fs = f; return saved(f) }
	defer func() { about["load"] = saved }()
	r := runArgs(t, "load", "-h")
	if r.code != 0 || fs == nil {
		t.Fatalf("iomodel load -h: status %d, stderr %q", r.code, r.err)
	}
	for _, want := range []string{"redis-benchmark", "wrk", "the tool's own echo client", "Redis", "gnet", "nbio",
		"iomodel load            about 3 minutes", "The plan (runs and time) is printed first", loadLongRun} {
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("load -h does not say %q:\n%s", want, r.stdout)
		}
	}
	def := func(name string) string { return fs.Lookup(name).DefValue }
	d, err := loadPlanned(def)
	if err != nil {
		t.Fatal(err)
	}
	if d < 150*time.Second || d > 210*time.Second {
		t.Errorf("load's defaults are planned to take %v, want about 3 minutes", d)
	}
	if top := runArgs(t, "help"); !strings.Contains(top.stdout, "(about "+roughly(d)+"; iomodel load -h)") {
		t.Errorf("iomodel help does not say load takes about %s:\n%s", roughly(d), top.stdout)
	}
	long, err := loadPlanned(longRun(def))
	if err != nil {
		t.Fatalf("the long run %q: %v", loadLongRun, err)
	}
	if long < 10*d {
		t.Errorf("the long run is planned to take %v, the defaults %v: not a long run", long, d)
	}
}

// TestLoadPlanFirst: load prints its plan (runs, servers, rounds, about how
// long) before it builds or starts anything, and its progress line says
// how much time is left; its JSON carries its context.
func TestLoadPlanFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and clients")
	}
	if emu := selfexec.Emulator(); emu != "" {
		t.Skipf("under %s: the peers would be built for the emulated machine and run without it; the event shapes are measured on real hardware", emu)
	}
	r := runArgs(t, "load", "-models", "multiplex", "-model-shapes", "conn", "-shapes", "tcp-echo", "-echo-conns", "5",
		"-rounds", "2", "-d", "100ms", "-format", "json")
	if r.code != 0 {
		t.Fatalf("status %d; stderr %q", r.code, r.err)
	}
	var saved map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &saved); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	checkRunInfo(t, saved, "iomodel load -models multiplex -model-shapes conn -shapes tcp-echo")
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	servers := 2 // multiplex/epoll conn and net, and gnet and nbio when the peers are built
	if strings.Contains(r.err, "building the peers") {
		servers = 4
	}
	want := fmt.Sprintf("iomodel load: %d runs (%d servers, 2 round(s) of tcp-echo, each run 100ms), about ", 2*servers, servers)
	if !strings.HasPrefix(lines[0], want) {
		t.Errorf("stderr's first line is %q, want the plan %q...", lines[0], want)
	}
	left := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "iomodel: [") && strings.Contains(l, " left)") {
			left++
		}
	}
	if left != 2*servers-1 { // every step but the first, which has no pace yet
		t.Errorf("%d progress lines say how much is left, want %d:\n%s", left, 2*servers-1, r.err)
	}
}

// TestHTTPPlan: the HTTP shapes' plan counts servers × shapes × connection
// counts × rounds, each run wrk's whole seconds and some setup.
func TestHTTPPlan(t *testing.T) {
	netm, _ := models.Lookup("net")
	mux, _ := models.Lookup("multiplex")
	shapes, err := load.SelectShapes("hello,close")
	if err != nil {
		t.Fatal(err)
	}
	cfg := load.Config{Models: []models.Model{mux, netm}, Shapes: shapes, Conns: []int{100, 1000, 5000}, Rounds: 3, Duration: 4 * time.Second}
	got := httpPlan(cfg)
	want := "iomodel load: 36 runs (2 servers × 2 shape(s) × 3 connection count(s) × 3 round(s), each run 4s), about 3 minutes"
	if got != want {
		t.Errorf("httpPlan = %q, want %q", got, want)
	}
}

// TestLoadHTTPJSON: load -format json writes the HTTP shapes' runs and
// medians, with wrk's figures, under the run's context.
func TestLoadHTTPJSON(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed: Debian package wrk")
	}
	if testing.Short() {
		t.Skip("runs wrk for two seconds")
	}
	r := runArgs(t, "load", "-models", "multiplex", "-shapes", "hello", "-conns", "2", "-rounds", "1", "-d", "1s", "-progress=false", "-format", "json")
	if r.code != 0 {
		t.Fatalf("status %d; stderr %q; stdout:\n%s", r.code, r.err, r.stdout)
	}
	var saved struct {
		Setup   string
		Runs    []load.Run
		Medians []load.Summary
	}
	if err := json.Unmarshal([]byte(r.stdout), &saved); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	var info map[string]any
	json.Unmarshal([]byte(r.stdout), &info)
	checkRunInfo(t, info, "iomodel load -models multiplex -shapes hello -conns 2")
	if len(saved.Runs) != 2 || len(saved.Medians) != 2 || !strings.Contains(saved.Setup, "wrk") {
		t.Fatalf("%d runs, %d medians, setup %q", len(saved.Runs), len(saved.Medians), saved.Setup)
	}
	for _, run := range saved.Runs {
		if w := run.Wrk; run.Err != "" || w.Requests < 1 || w.P50 <= 0 || w.P999 < w.P99 || w.Max < w.P999 {
			t.Errorf("run %+v", run)
		}
	}
}

// TestProgressLeft: the time left is the pace's without a plan; with one,
// the plan's remainder early on and the pace's near the end.
func TestProgressLeft(t *testing.T) {
	p := &progress{n: 10}
	if got := p.left(1, 20*time.Second); got != 180*time.Second {
		t.Errorf("without a plan, after 1 of 10 steps in 20 s: %v left, want 3m0s", got)
	}
	p.plan = 100 * time.Second
	for _, c := range []struct {
		i           int
		spent, want time.Duration
	}{
		{1, 20 * time.Second, 90 * time.Second},  // 0.1 × 180 s + 0.9 × 80 s
		{5, 50 * time.Second, 50 * time.Second},  // on plan: both say 50 s
		{9, 180 * time.Second, 18 * time.Second}, // 0.9 × 20 s + 0.1 × 0 (past the plan)
	} {
		if got := p.left(c.i, c.spent); got != c.want {
			t.Errorf("plan 100 s, after %d of 10 steps in %v: %v left, want %v", c.i, c.spent, got, c.want)
		}
	}
}
