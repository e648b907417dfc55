//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
)

// echoSize is the message of the echo shape.
const echoSize = 64

// loadCmd is `iomodel load`: net/http and a plain echo served on each
// model's Listener and on package net's, to wrk, in paired rounds.
func loadCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("load", "[flags]", std)
	list := fs.String("models", "multiplex,async", "servers, comma-separated: names ("+modelList()+"), families, patterns, quick (one per family) or all; net, the baseline, is always among them")
	connList := fs.String("conns", "100,1000,5000", "the HTTP and echo shapes' connection counts (wrk -c), comma-separated: a set of rounds each; left at its default, 10000 and 15000 join it where RLIMIT_NOFILE allows them")
	rounds := fs.Int("rounds", 3, "rounds: each runs every server once, in an order that rotates from round to round; figures are medians over the rounds")
	dur := fs.Duration("d", time.Second, "length of each run (wrk -d, in whole seconds; the echo client's; redis-benchmark's -n is sized from it)")
	threads := fs.Int("t", 1, "wrk threads (wrk -t)")
	timeout := fs.Duration("timeout", 10*time.Second, "wrk --timeout: slower requests count as timeouts and drop out of the latencies (wrk's own default, 2s, would hide a tail longer than that)")
	shapeList := fs.String("shapes", "events", "loads, comma-separated: the event shapes "+strings.Join(eventShapeNames(), ", ")+" (or events: all three), servers in processes of their own beside Redis, gnet and nbio; the HTTP shapes under wrk "+strings.Join(load.ShapeNames(), ", ")+"; or all")
	ev := addEventFlags(fs)
	perRound := fs.Bool("per-round", true, "print every run, round by round, before the medians")
	progress := fs.Bool("progress", true, "show progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if tw := textOutput(*ev.format, std.out); tw != nil {
		std.out = tw
		defer tw.Close()
	}
	ms, err := selectWithNet(*list)
	if err != nil {
		return err
	}
	events, httpShapes, err := splitShapes(*shapeList)
	if err != nil {
		return err
	}
	if _, err := parseConns(*connList); err != nil {
		return err
	}
	if len(events) > 0 {
		if *rounds < 1 || *dur <= 0 {
			return usagef("-rounds must be at least 1, -d positive")
		}
		err := loadEvents(ctx, ev, ms, events, *rounds, *dur, *progress, *perRound, args, std)
		if httpShapes == "" || err != nil {
			return err
		}
		fmt.Fprintln(std.out)
		*shapeList = httpShapes
	}
	conns, err := parseConns(*connList)
	if err != nil {
		return err
	}
	shapes, err := load.SelectShapes(*shapeList)
	if err != nil {
		return usageError{err}
	}
	if *rounds < 1 || *threads < 1 || *dur < time.Second || *timeout < time.Second {
		return usagef("-rounds and -t must be at least 1, -d and -timeout at least 1s")
	}
	for _, n := range conns {
		if n < *threads {
			return usagef("wrk needs at least as many connections (%d) as threads (-t %d)", n, *threads)
		}
	}
	wrk := ""
	if slices.ContainsFunc(shapes, func(s load.Shape) bool { return !s.Echo }) {
		if wrk, err = exec.LookPath("wrk"); err != nil {
			return errors.New("wrk is not installed (Debian: apt-get install wrk; https://github.com/wg/wrk): the HTTP shapes need it, and iomodel load installs nothing; -shapes echo runs without it")
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program, to run the echo client: %w", err)
	}

	// Every connection costs a descriptor on each side: raise the limit
	// (wrk inherits it) and say so when it cannot be raised far enough.
	limit, lerr := load.RaiseNoFile()
	note := ""
	if !flagSet(fs, "conns") {
		var more []int
		more, note = largeConns(limit)
		conns = append(conns, more...)
	}
	if note != "" {
		fmt.Fprintf(std.err, "iomodel load: %s\n", note)
	}
	most := slices.Max(conns)
	switch {
	case lerr != nil:
		fmt.Fprintf(std.err, "iomodel load: warning: could not raise RLIMIT_NOFILE (now %d): %v\n", limit, lerr)
	case limit < uint64(most)+connSpare:
		fmt.Fprintf(std.err, "iomodel load: warning: RLIMIT_NOFILE's hard limit is %d, too few for %d connections (each side needs one descriptor per connection, and more): raise it (ulimit -Hn) or expect accept and connect errors\n", limit, most)
	}

	cfg := load.Config{
		Models: ms, Shapes: shapes, Conns: conns, Rounds: *rounds, Duration: *dur, Threads: *threads, Timeout: *timeout,
		Wrk: wrk, CPUTime: load.CPUTime,
		Echo: func(ctx context.Context, addr string, n int, d time.Duration) (load.EchoResult, error) {
			return runEchoClient(ctx, self, addr, n, d, nil)
		},
	}
	fmt.Fprintln(std.err, httpPlan(cfg))
	p := newProgress(std.err, *progress, 0)
	p.eta, p.plan = true, httpPlanned(httpRuns(cfg), cfg.Duration)
	cfg.Progress = func(i, n int, r load.Run) {
		p.n = n
		p.phase(i, r.Server, fmt.Sprintf("%s, %d conns, round %d/%d", r.Shape, r.Conns, r.Round+1, *rounds))
	}
	runs, err := load.Measure(ctx, cfg)
	if err := p.finish(ctx, err); err != nil {
		return err
	}

	w := std.out
	if *ev.format == "json" {
		return httpJSON(w, args, loadSetup(cfg, wrk, limit), runs)
	}
	fmt.Fprintf(w, "    %s\n\n", commandLine(args))
	fmt.Fprintf(w, "%s\n\n", machine())
	fmt.Fprintf(w, "%s\n\n", loadSetup(cfg, wrk, limit))
	if note != "" {
		fmt.Fprintf(w, "%s\n\n", note)
	}
	for _, s := range shapes {
		fmt.Fprintf(w, "- %s: %s\n", s.Name, s.Say)
	}
	fmt.Fprintln(w, "\nServer CPU per request is getrusage(RUSAGE_SELF) of the serving process over the run (the load generator is another process), divided by the requests completed. req/conn is the fewest, the median and the most requests one connection was answered, counted by the server (— for Connection: close, one each; for echo, round trips counted by the client). × net is the ratio to net's run in the same round; in the medians, the median of those ratios.")
	if *perRound {
		fmt.Fprintln(w, "\nEvery run, in the order run:")
		fmt.Fprintln(w)
		if err := load.WriteRounds(w, runs); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nMedians of %d round(s):\n\n", *rounds)
	if err := load.WriteSummary(w, load.Summarize(runs)); err != nil {
		return err
	}
	if slices.ContainsFunc(runs, func(r load.Run) bool { return r.Err != "" }) {
		return errors.New("some runs failed or reported errors: see the tables")
	}
	return nil
}

// The counts the default -conns gains where the descriptor limit allows
// them, and the descriptors a side needs beyond one per connection.
var (
	bigConns  = []int{10000, 15000}
	connSpare = uint64(256)
)

// largeConns is which of bigConns the descriptor limit allows, and a line
// saying which it leaves out and why ("" when none).
func largeConns(limit uint64) (more []int, note string) {
	var left []string
	for _, n := range bigConns {
		if uint64(n)+connSpare <= limit {
			more = append(more, n)
		} else {
			left = append(left, strconv.Itoa(n))
		}
	}
	if left != nil {
		note = fmt.Sprintf("RLIMIT_NOFILE's hard limit is %d: no runs at %s connections (each side needs a descriptor per connection and %d more; raise it with ulimit -Hn)",
			limit, strings.Join(left, " and "), connSpare)
	}
	return more, note
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// commandLine is the command as a reader would type it again.
func commandLine(args []string) string {
	return shellWords(append([]string{"iomodel", "load"}, args...))
}

// loadSetup says where and how the load ran.
func loadSetup(cfg load.Config, wrk string, nofile uint64) string {
	names := make([]string, len(cfg.Models))
	for i, m := range cfg.Models {
		names[i] = m.Name
	}
	conns := make([]string, len(cfg.Conns))
	for i, n := range cfg.Conns {
		conns[i] = strconv.Itoa(n)
	}
	gen := "no wrk (echo only)"
	if wrk != "" {
		gen = wrkVersion(wrk) + fmt.Sprintf(", wrk -t%d -d%v --timeout %v --latency", cfg.Threads, cfg.Duration, cfg.Timeout)
	}
	return fmt.Sprintf("%s, %d CPUs, %s; %s; servers %s (net/http, listening on 127.0.0.1, a fresh Listener per run) at %s conns, %d round(s); RLIMIT_NOFILE %d, net.core.somaxconn %s",
		kernelName(), runtime.NumCPU(), runtime.Version(), gen, strings.Join(names, ", "), strings.Join(conns, "/"), cfg.Rounds, nofile, somaxconn())
}

func wrkVersion(path string) string {
	out, _ := exec.Command(path, "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	if f := strings.Fields(line); len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return "wrk"
}

func somaxconn() string {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// runEchoClient runs `iomodel load-echo` (our client, on package net) in a
// process of its own and reads its result. timed, if not nil, is called
// when the client says every connection is open and the timed part starts.
func runEchoClient(ctx context.Context, self, addr string, conns int, d time.Duration, timed func()) (load.EchoResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+60*time.Second)
	defer cancel()
	cmd := command(ctx, self, "load-echo", "-addr", addr, "-conns", strconv.Itoa(conns), "-d", d.String(), "-size", strconv.Itoa(echoSize))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return load.EchoResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return load.EchoResult{}, fmt.Errorf("echo client: %v", err)
	}
	var out []byte
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		if sc.Text() == timedLine {
			if timed != nil {
				timed()
			}
			continue
		}
		out = append(out, sc.Bytes()...)
	}
	if err := cmd.Wait(); err != nil {
		return load.EchoResult{}, fmt.Errorf("echo client: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var r load.EchoResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("echo client's result: %v", err)
	}
	if r.FirstError != "" {
		return r, fmt.Errorf("echo client: %d connect and %d I/O errors, the first: %s", r.ConnectErrors, r.IOErrors, r.FirstError)
	}
	return r, nil
}

// timedLine is what load-echo prints when its connections are open and the
// timed part starts, before its result.
const timedLine = "timed"

// loadEchoCmd is the echo shape's client, in the process runEchoClient
// starts: it writes its result as JSON.
func loadEchoCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("load-echo", "-addr ADDR -conns N -d D -size B", std)
	addr := fs.String("addr", "", "echo server")
	conns := fs.Int("conns", 100, "connections")
	dur := fs.Duration("d", 4*time.Second, "length of the run")
	size := fs.Int("size", echoSize, "bytes per message")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *addr == "" || *conns < 1 || *size < 1 {
		return usagef("want -addr, and -conns and -size at least 1")
	}
	load.RaiseNoFile()
	r := load.EchoClient(ctx, *addr, *conns, *dur, *size, func() { fmt.Fprintln(std.out, timedLine) })
	return json.NewEncoder(std.out).Encode(r)
}
