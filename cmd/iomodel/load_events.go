//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// eventFlags are load's flags for the event shapes.
type eventFlags struct {
	clients, pipelines, echoConns, idleConns *string
	requests                                 *int
	peers                                    *string
	redis                                    *bool
	settle                                   *time.Duration
	modelShapes                              *string
	format                                   *string
}

func addEventFlags(fs *flag.FlagSet) eventFlags {
	return eventFlags{
		clients:     fs.String("clients", "50", "resp: redis-benchmark's clients (-c), comma-separated"),
		pipelines:   fs.String("pipeline", "1", "resp: redis-benchmark's pipeline depths (-P), comma-separated"),
		requests:    fs.Int("requests", 0, "resp: redis-benchmark's requests per test (-n); 0 sizes them to take about -d: at 25k req/s (150k pipelined) in the first round, at the server's own rate from the previous round after"),
		echoConns:   fs.String("echo-conns", "100,1000", "tcp-echo: connection counts, comma-separated"),
		idleConns:   fs.String("idle", "5000", "idle: connection counts, comma-separated (each needs as many descriptors in the server and in the client process: counts past RLIMIT_NOFILE are left out, saying so)"),
		peers:       fs.String("peers", "", "the benchmark peers' module (gnet, nbio), built once per run with go build; default: cmd/iomodel/peers above the working directory, or none"),
		redis:       fs.Bool("redis", true, "resp: put Redis itself beside the servers, when redis-server is installed"),
		settle:      fs.Duration("idle-settle", time.Second, "idle: how long the connections stay open, idle, before the server's memory is read"),
		format:      fs.String("format", "table", "output: table (aligned, 120 columns, the less needed columns left out), wide (every column), markdown (the command, machine, date and commit, then every run and the medians, as tables, for a page) or json (the runs and medians as data, under the command, machine, date and commit)"),
		modelShapes: fs.String("model-shapes", "conn,loop", "the models' shapes to serve in: conn (a goroutine per connection on the model's Conn), loop (the model's engine), or both"),
	}
}

// eventShapeNames are the event shapes' names.
func eventShapeNames() []string {
	var ns []string
	for _, s := range load.EventShapes {
		ns = append(ns, s.Name)
	}
	return ns
}

// splitShapes takes the event shapes out of -shapes ("events" is all of
// them, "all" is every shape) and returns the rest for the HTTP shapes.
func splitShapes(list string) (events []string, rest string, err error) {
	var others []string
	want := map[string]bool{}
	for item := range strings.SplitSeq(list, ",") {
		switch item = strings.TrimSpace(item); {
		case item == "events" || item == "all":
			for _, n := range eventShapeNames() {
				want[n] = true
			}
			if item == "all" {
				others = append(others, item)
			}
		case slices.Contains(eventShapeNames(), item):
			want[item] = true
		case item != "":
			others = append(others, item)
		}
	}
	for _, n := range eventShapeNames() {
		if want[n] {
			events = append(events, n)
		}
	}
	if len(events) == 0 && len(others) == 0 {
		return nil, "", usagef("no shape named (known: %s, events; %s; all)", strings.Join(eventShapeNames(), ", "), strings.Join(load.ShapeNames(), ", "))
	}
	return events, strings.Join(others, ","), nil
}

// loadEvents runs the event shapes and writes their report.
func loadEvents(ctx context.Context, ev eventFlags, ms []models.Model, shapes []string, rounds int, d time.Duration, progress, perRound bool, args []string, std stdio) error {
	clients, err := parseCounts("-clients", *ev.clients)
	if err != nil {
		return err
	}
	pipes, err := parseCounts("-pipeline", *ev.pipelines)
	if err != nil {
		return err
	}
	echoConns, err := parseCounts("-echo-conns", *ev.echoConns)
	if err != nil {
		return err
	}
	idleConns, err := parseCounts("-idle", *ev.idleConns)
	if err != nil {
		return err
	}
	conn, loop := false, false
	for f := range strings.SplitSeq(*ev.modelShapes, ",") {
		switch strings.TrimSpace(f) {
		case "conn":
			conn = true
		case "loop":
			loop = true
		default:
			return usagef("bad shape %q in -model-shapes: want conn, loop or both", f)
		}
	}
	if !slices.Contains(loadFormats, *ev.format) {
		return usagef("unknown format %q (known: %s)", *ev.format, strings.Join(loadFormats, ", "))
	}
	if *ev.requests < 0 || *ev.settle <= 0 {
		return usagef("-requests must be 0 (sized to -d) or more, -idle-settle positive")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program, to run the servers and clients: %w", err)
	}
	var notes []string
	limit, lerr := load.RaiseNoFile()
	if lerr != nil {
		notes = append(notes, fmt.Sprintf("could not raise RLIMIT_NOFILE (now %d): %v", limit, lerr))
	}
	fits := func(what string, ns []int) []int {
		var ok []int
		for _, n := range ns {
			if uint64(n)+256 > limit {
				notes = append(notes, fmt.Sprintf("%s at %d connections left out: RLIMIT_NOFILE is %d here, and the server and the client each need a descriptor per connection and some more (raise the hard limit: ulimit -Hn)", what, n, limit))
				continue
			}
			ok = append(ok, n)
		}
		return ok
	}
	echoConns, idleConns = fits(load.EventEcho, echoConns), fits(load.EventIdle, idleConns)

	bench := ""
	if slices.Contains(shapes, load.EventRESP) {
		if bench, err = exec.LookPath("redis-benchmark"); err != nil {
			notes = append(notes, "resp left out: redis-benchmark is not installed (Debian: apt-get install redis-tools)")
			shapes = slices.DeleteFunc(shapes, func(s string) bool { return s == load.EventRESP })
		}
	}
	if len(shapes) == 0 {
		return errors.New(strings.Join(notes, "; "))
	}

	var targets []load.Target
	if slices.Contains(shapes, load.EventRESP) && *ev.redis {
		if rs, err := exec.LookPath("redis-server"); err == nil {
			targets = append(targets, redisTarget(rs))
		} else {
			notes = append(notes, "Redis left out: redis-server is not installed (Debian: apt-get install redis-server)")
		}
	}
	var build func() error
	peersDir := *ev.peers
	if peersDir == "" {
		peersDir = findPeers()
	}
	if peersDir == "" {
		notes = append(notes, "gnet and nbio left out: the peers module (cmd/iomodel/peers) is not above the working directory; run from the repository or pass -peers DIR")
	} else {
		tmp, err := os.MkdirTemp("", "iomodel-peers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin := filepath.Join(tmp, "peers")
		targets = append(targets, peerTarget(bin, "gnet"), peerTarget(bin, "nbio"))
		build = func() error { // once the plan is printed
			fmt.Fprintf(std.err, "iomodel load: building the peers (gnet, nbio) in %s\n", peersDir)
			return buildPeers(ctx, peersDir, bin)
		}
	}
	for _, m := range ms {
		if m.Family == "net" {
			targets = append(targets, serveTarget(self, m, "net", false))
			continue
		}
		if conn {
			targets = append(targets, serveTarget(self, m, m.Name+" conn", false))
		}
		if !loop {
			continue
		}
		if m.HasEngine() {
			targets = append(targets, serveTarget(self, m, m.Name+" loop", true))
		} else {
			notes = append(notes, fmt.Sprintf("%s has no loop shape in this build", m.Name))
		}
	}

	cfg := load.EventConfig{
		Targets: targets, Shapes: shapes, Clients: clients, Pipelines: pipes, Bench: bench,
		EchoConns: echoConns, IdleConns: idleConns, Rounds: rounds, Duration: d,
		Requests: *ev.requests, Settle: *ev.settle,
	}
	cfg.Echo, cfg.Idle = selfClients(self)
	total := cfg.EventRuns()
	fmt.Fprintln(std.err, eventPlan(cfg, build != nil))
	if build != nil {
		if err := build(); err != nil {
			return fmt.Errorf("building the peers: %w", err)
		}
	}
	p := newProgress(std.err, progress, total)
	p.eta, p.plan = true, cfg.Planned()
	cfg.Progress = func(i, n int, r load.EventRun) {
		p.n = n
		p.phase(i, r.Server, fmt.Sprintf("%s, %d conns, round %d/%d", r.Shape, r.Conns, r.Round+1, rounds))
	}
	runs, err := load.MeasureEvents(ctx, cfg)
	if err := p.finish(ctx, err); err != nil {
		return err
	}

	w := std.out
	if *ev.format == "json" {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return errors.Join(e.Encode(withInfo(newRunInfo(append([]string{"load"}, args...)...), map[string]any{
			"servers": targetNames(targets), "notes": notes, "runs": runs, "medians": load.SummarizeEvents(runs),
		})), failedRuns(runs))
	}
	fmt.Fprintf(w, "    %s\n\n", commandLine(args))
	fmt.Fprintf(w, "%s\n\n", machine())
	fmt.Fprintf(w, "Event shapes, %d round(s), each run %v; servers, each in a process of its own: %s.\n\n", rounds, d, strings.Join(targetNames(targets), ", "))
	for _, s := range load.EventShapes {
		if slices.Contains(shapes, s.Name) {
			fmt.Fprintf(w, "- %s: %s\n", s.Name, s.Say)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "- note: %s\n", n)
	}
	fmt.Fprintln(w, "\nCPU per request is the server process's user and system time (/proc/PID/stat, 10 ms ticks) over the run, divided by the requests or round trips completed; the load generator is another process. \"loop\" is the model's engine (the loop shape), \"conn\" a goroutine per connection on the model's Conn. × net is the ratio to net's run in the same round; in the medians, the median of those ratios.")
	if perRound {
		fmt.Fprintln(w, "\nEvery run, in the order run:")
		fmt.Fprintln(w)
		if err := load.WriteEventRounds(w, runs); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nMedians of %d round(s):\n\n", rounds)
	if err := load.WriteEventSummary(w, load.SummarizeEvents(runs)); err != nil {
		return err
	}
	return failedRuns(runs)
}

func failedRuns(runs []load.EventRun) error {
	if slices.ContainsFunc(runs, func(r load.EventRun) bool { return r.Err != "" }) {
		return errors.New("some event runs failed: see the tables")
	}
	return nil
}

func targetNames(ts []load.Target) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names
}

func parseCounts(flag, s string) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, usagef("bad count %q in %s: want positive whole numbers, comma-separated", f, flag)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// findPeers looks for the peers module above the working directory.
func findPeers() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		for _, rel := range []string{"cmd/iomodel/peers", "peers"} {
			p := filepath.Join(dir, rel)
			if b, err := os.ReadFile(filepath.Join(p, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/iomodel/iomodel/cmd/iomodel/peers") {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// buildPeers builds the peers program in dir into bin.
func buildPeers(ctx context.Context, dir, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		hint := ""
		if strings.Contains(string(out), "missing go.sum entry") {
			hint = " (the library's dependencies changed: run go mod tidy in " + dir + ")"
		}
		return fmt.Errorf("go build in %s%s: %v: %s", dir, hint, err, out)
	}
	return nil
}

// serveTarget is iomodel serve on model m, in the loop shape or the
// goroutine shape.
func serveTarget(self string, m models.Model, name string, loop bool) load.Target {
	return load.Target{
		Name: name, Family: m.Family, Counted: true,
		Start: func(ctx context.Context, proto string) (*load.Proc, error) {
			args := []string{"serve", "-model", m.Name}
			if loop {
				args = append(args, "-loop")
			}
			if proto == "resp" {
				args = append(args, "-resp")
			}
			return load.StartProc(ctx, command(ctx, self, append(args, "127.0.0.1:0")...), "")
		},
	}
}

// peerTarget is the peers program serving with lib (gnet or nbio).
func peerTarget(bin, lib string) load.Target {
	return load.Target{
		Name: lib, Family: lib,
		Start: func(ctx context.Context, proto string) (*load.Proc, error) {
			return onFreePort(func(addr string) (*load.Proc, error) {
				return load.StartProc(ctx, exec.CommandContext(ctx, bin, "-lib", lib, "-proto", proto, "-addr", addr), "")
			})
		},
	}
}

// onFreePort starts a server that must be told its port on a port free
// now, and on another if that one was taken before the server bound it
// (three tries).
func onFreePort(start func(addr string) (*load.Proc, error)) (*load.Proc, error) {
	var errs error
	for range 3 {
		addr, err := load.FreeAddr()
		if err != nil {
			return nil, err
		}
		p, err := start(addr)
		if err == nil {
			return p, nil
		}
		errs = errors.Join(errs, err)
	}
	return nil, errs
}

// redisTarget is Redis itself, saving nothing.
func redisTarget(path string) load.Target {
	return load.Target{
		Name: "redis", Family: "redis", RESPOnly: true,
		Start: func(ctx context.Context, proto string) (*load.Proc, error) {
			return onFreePort(func(addr string) (*load.Proc, error) {
				_, port, _ := strings.Cut(addr, ":")
				cmd := exec.CommandContext(ctx, path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", "")
				return load.StartProc(ctx, cmd, addr)
			})
		},
	}
}

// selfClients are the event shapes' clients, this program again in processes
// of their own.
func selfClients(self string) (
	echo func(ctx context.Context, addr string, n int, d time.Duration, timed func()) (load.EchoResult, error),
	idle func(ctx context.Context, addr string, n int, held func()) error,
) {
	echo = func(ctx context.Context, addr string, n int, d time.Duration, timed func()) (load.EchoResult, error) {
		return runEchoClient(ctx, self, addr, n, d, timed)
	}
	idle = func(ctx context.Context, addr string, n int, held func()) error {
		return runIdleClient(ctx, self, addr, n, held)
	}
	return echo, idle
}

// runIdleClient runs `iomodel load-idle` in a process of its own: it opens
// n connections to addr and holds them until its input ends; held runs
// while they are open.
func runIdleClient(ctx context.Context, self, addr string, n int, held func()) error {
	const limit = 2 * time.Minute
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := command(ctx, self, "load-idle", "-addr", addr, "-conns", strconv.Itoa(n))
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	var r load.IdleResult
	derr := json.NewDecoder(out).Decode(&r)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("idle client: %d connections not all open and answered once within %v: stopped", n, limit)
	case derr != nil:
		err = fmt.Errorf("idle client's result: %v", derr)
	case r.Open != n:
		err = fmt.Errorf("idle client: %d of %d connections open (%d connect and %d I/O errors, the first: %s)", r.Open, n, r.ConnectErrors, r.IOErrors, r.FirstError)
	default:
		held()
	}
	in.Close()
	if werr := cmd.Wait(); werr != nil {
		err = errors.Join(err, fmt.Errorf("idle client: %v: %s", werr, strings.TrimSpace(stderr.String())))
	}
	return err
}

// loadIdleCmd is the idle shape's client, in the process runIdleClient
// starts: it writes what it opened as JSON, then holds the connections
// until its input ends.
func loadIdleCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("load-idle", "-addr ADDR -conns N", std)
	addr := fs.String("addr", "", "echo server")
	conns := fs.Int("conns", 1000, "connections")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *addr == "" || *conns < 1 {
		return usagef("want -addr, and -conns at least 1")
	}
	load.RaiseNoFile()
	cs, r := load.IdleClient(ctx, *addr, *conns, echoSize)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	if err := json.NewEncoder(std.out).Encode(r); err != nil {
		return err
	}
	io.Copy(io.Discard, std.in)
	return nil
}
