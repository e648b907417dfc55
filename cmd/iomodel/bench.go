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
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/report"
	"github.com/iomodel/iomodel/internal/selfexec"
)

// The no-argument comparison: three rounds of short runs (the median of
// three resists a passing disturbance of a busy machine better than one long
// run), about 20 s for the quick models on 2 cores.
const (
	quickDuration = 250 * time.Millisecond
	quickCount    = 3
)

// benchCmd is `iomodel bench`, and with -quick the no-argument comparison.
func benchCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("bench", "[flags]", std)
	quick := fs.Bool("quick", false, "the no-argument comparison: one model per family, the median of three rounds of 250ms runs")
	list := fs.String("models", "quick", "models to measure, comma-separated: names ("+modelList()+"), families, patterns such as multiplex/*, quick (one per family) or all")
	size := fs.Int("size", 64, "bytes per message in the round-trip and many-connection runs")
	chunk := fs.Int("chunk", 64<<10, "bytes per Send in the stream run")
	connList := fs.String("conns", "100", "connection counts of the many-connection run, comma-separated (one run each)")
	dur := fs.Duration("duration", time.Second, "length of each run (round trip, stream, each connection count)")
	count := fs.Int("count", 1, "measure every model this many times, in rounds, and report the median of each figure")
	format := fs.String("format", "table", "output: "+strings.Join(benchFormats, ", ")+" (table: 120 columns, the less needed left out; wide: every column)")
	svg := fs.String("svg", "", "also write an SVG chart to this file")
	progress := fs.Bool("progress", true, "show progress on stderr")
	load := fs.String("load", "", "measure nothing: report the results in this file, written earlier with -format json")
	isolate := fs.Bool("isolate", true, "measure each model in a process of its own, against an echo peer in another (so that threads and CPU time are the model's alone)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["duration"] {
			*dur = quickDuration
		}
		if !set["count"] {
			*count = quickCount
		}
	}
	ms, err := models.Select(*list)
	if err != nil {
		return usageError{err}
	}
	conns, err := parseConns(*connList)
	if err != nil {
		return err
	}
	if !slices.Contains(benchFormats, *format) {
		return usagef("unknown format %q (known: %s)", *format, strings.Join(benchFormats, ", "))
	}
	cfg := bench.Config{Size: *size, Chunk: *chunk, Conns: conns, Duration: *dur}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if *count < 1 {
		return usagef("-count must be at least 1, not %d", *count)
	}
	var svgFile *os.File
	if *svg != "" {
		if svgFile, err = os.Create(*svg); err != nil {
			return usageError{err}
		}
		defer svgFile.Close()
	}

	var rs []bench.Result
	if *load != "" {
		if rs, err = loadResults(*load); err != nil {
			return usageError{err}
		}
		cfg = configOf(rs, cfg)
		*count = max(1, rs[0].Runs)
	} else {
		p := newProgress(std.err, *progress, len(ms)**count)
		rs, err = measure(ctx, ms, cfg, *count, *isolate, p.phase)
		if err := p.finish(ctx, err); err != nil {
			return err
		}
	}
	if *format == "table" || *format == "wide" {
		fmt.Fprintln(std.out, setup(cfg, *count))
		fmt.Fprintln(std.out)
	}
	if *load == "" {
		m := newRunInfo(append([]string{"bench"}, args...)...)
		for i := range rs {
			rs[i].Machine = &m
		}
	}
	if err := writeBench(std.out, *format, rs, cfg, *count); err != nil {
		return err
	}
	if svgFile != nil {
		if err := report.SVG(svgFile, setup(cfg, *count), rs); err != nil {
			return err
		}
		if err := svgFile.Close(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func parseConns(s string) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, usagef("bad connection count %q in -conns: want positive whole numbers, comma-separated", f)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// configOf is the configuration loaded results were measured with.
func configOf(rs []bench.Result, cfg bench.Config) bench.Config {
	cfg.Size, cfg.Chunk, cfg.Conns = rs[0].Size, rs[0].Chunk, nil
	cfg.Duration = time.Duration(rs[0].RunSeconds * float64(time.Second)).Round(time.Millisecond)
	for _, r := range rs {
		if !slices.Contains(cfg.Conns, r.Conns) {
			cfg.Conns = append(cfg.Conns, r.Conns)
		}
	}
	return cfg
}

// setup says what was measured, where.
func setup(cfg bench.Config, count int) string {
	return fmt.Sprintf("%s; %s, %d CPUs, %s", measured(cfg, count), kernelName(), runtime.NumCPU(), runtime.Version())
}

// measured says what was measured.
func measured(cfg bench.Config, count int) string {
	conns := make([]string, len(cfg.Conns))
	for i, n := range cfg.Conns {
		conns[i] = strconv.Itoa(n)
	}
	runs := ""
	if cfg.Duration > 0 { // unknown in results saved by an older iomodel
		runs = fmt.Sprintf(", %v per run", cfg.Duration)
	}
	if count > 1 {
		runs += fmt.Sprintf(", median of %d", count)
	}
	return fmt.Sprintf("%d-byte messages, %s conns, %s stream sends, TCP loopback%s", cfg.Size, strings.Join(conns, "/"), bytesize(cfg.Chunk), runs)
}

func bytesize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// measure runs every model against one echo peer, each in a process of its
// own when isolate is set (in this one if it cannot start one), count times
// in rounds (so that a passing disturbance of the machine spreads over every
// model rather than landing on one), and keeps the medians.
func measure(ctx context.Context, ms []models.Model, cfg bench.Config, count int, isolate bool, phase func(i int, model, phase string)) ([]bench.Result, error) {
	self, err := os.Executable()
	if err != nil {
		isolate = false
	}
	var addr string
	if isolate {
		peer, a, err := startPeer(ctx, self)
		if err != nil {
			return nil, fmt.Errorf("starting the echo peer: %w", err)
		}
		defer peer()
		addr = a
	} else {
		p, err := bench.StartPeer()
		if err != nil {
			return nil, fmt.Errorf("starting the echo peer: %w", err)
		}
		defer p.Close()
		addr = p.Addr()
	}
	cfg.Addr = addr
	runs := make([][][]bench.Result, len(ms))
	for round := range count {
		for i, m := range ms {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			name := m.Name
			if count > 1 {
				name = fmt.Sprintf("%s (round %d/%d)", m.Name, round+1, count)
			}
			tell := func(p string) { phase(round*len(ms)+i, name, p) }
			if isolate {
				runs[i] = append(runs[i], runWorker(ctx, self, m, cfg, tell))
			} else {
				runs[i] = append(runs[i], bench.Run(m, cfg, tell))
			}
		}
	}
	var rs []bench.Result
	for _, r := range runs {
		rs = append(rs, bench.Median(r)...)
	}
	return rs, ctx.Err()
}

// command runs this program again with args, under the emulator that runs
// this process if one does (selfexec). IOMODEL_MAIN tells a test binary to
// be the program.
func command(ctx context.Context, self string, args ...string) *exec.Cmd {
	if exe, _ := os.Executable(); self == exe {
		if emu := selfexec.Emulator(); emu != "" {
			self, args = emu, append([]string{self}, args...)
		}
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), "IOMODEL_MAIN=1")
	cmd.WaitDelay = time.Second
	return cmd
}

// startPeer starts `iomodel peer` and reads the address it listens on; the
// returned func stops it (closing its stdin, which it waits on).
func startPeer(ctx context.Context, self string) (stop func(), addr string, err error) {
	cmd := command(ctx, self, "peer")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	stop = func() {
		in.Close()
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return nil, "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stop, strings.TrimSpace(line), nil
}

// runWorker measures m in `iomodel worker`, reading its phases from its
// stderr and its results, as JSON, from its stdout.
func runWorker(ctx context.Context, self string, m models.Model, cfg bench.Config, phase func(string)) []bench.Result {
	conns := make([]string, len(cfg.Conns))
	for i, n := range cfg.Conns {
		conns[i] = strconv.Itoa(n)
	}
	// A model that hangs must not hang the bench: the worker gets three
	// times the time its runs take, and some for starting.
	limit := 3*time.Duration(2+len(cfg.Conns))*cfg.Duration + 15*time.Second
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := command(ctx, self, "worker", "-model", m.Name, "-addr", cfg.Addr,
		"-size", strconv.Itoa(cfg.Size), "-chunk", strconv.Itoa(cfg.Chunk),
		"-conns", strings.Join(conns, ","), "-duration", cfg.Duration.String())
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	fail := func(err error) []bench.Result {
		var rs []bench.Result
		for _, n := range cfg.Conns {
			rs = append(rs, bench.Result{Model: m.Name, Family: m.Family, RunSeconds: cfg.Duration.Seconds(), Runs: 1, Size: cfg.Size, Chunk: cfg.Chunk, Conns: n, Error: err.Error()})
		}
		return rs
	}
	if err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	var other []string
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "phase: "); ok {
			phase(p)
		} else {
			other = append(other, sc.Text())
		}
	}
	werr := cmd.Wait()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fail(fmt.Errorf("no result within %v: the worker was stopped", limit))
	}
	var rs []bench.Result
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil || len(rs) != len(cfg.Conns) {
		if werr == nil {
			werr = errors.New("no results")
		}
		if len(other) > 3 { // a panic's stack: its first lines say what
			other = append(other[:3], "…")
		}
		return fail(fmt.Errorf("worker: %v %s", werr, strings.Join(other, "; ")))
	}
	return rs
}

// workerCmd measures one model and writes its results as JSON: the other end
// of runWorker.
func workerCmd(_ context.Context, args []string, std stdio) error {
	fs := newFlags("worker", "-model M -addr ADDR [flags]", std)
	model := fs.String("model", "", "model")
	addr := fs.String("addr", "", "echo peer")
	size := fs.Int("size", 64, "message bytes")
	chunk := fs.Int("chunk", 64<<10, "stream chunk")
	connList := fs.String("conns", "100", "connection counts")
	dur := fs.Duration("duration", time.Second, "per run")
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := lookupModel(*model)
	if err != nil {
		return err
	}
	conns, err := parseConns(*connList)
	if err != nil {
		return err
	}
	cfg := bench.Config{Addr: *addr, Size: *size, Chunk: *chunk, Conns: conns, Duration: *dur}
	rs := bench.Run(m, cfg, func(p string) { fmt.Fprintf(std.err, "phase: %s\n", p) })
	return json.NewEncoder(std.out).Encode(rs)
}

// peerCmd runs the echo peer until its stdin ends (its parent has gone or
// is done) or ctx ends, after printing its address.
func peerCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("peer", "", std)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("peer takes no arguments")
	}
	p, err := bench.StartPeer()
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintln(std.out, p.Addr())
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, std.in)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return nil
}

// progress shows on stderr which model and run the bench is at: one line
// rewritten in place on a terminal, a line per step elsewhere.
type progress struct {
	w     io.Writer
	on    bool
	tty   bool
	n     int
	start time.Time
	eta   bool          // say when the last step should end, from the pace so far
	plan  time.Duration // the planned total, if any: see left
}

func newProgress(w io.Writer, on bool, n int) *progress {
	p := &progress{w: w, on: on, n: n, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		p.tty = isTerminal(f)
	}
	return p
}

func (p *progress) phase(i int, model, phase string) {
	if !p.on {
		return
	}
	spent := time.Since(p.start)
	line := fmt.Sprintf("iomodel: [%d/%d] %s: %s (%.0f s)", i+1, p.n, model, phase, spent.Seconds())
	if p.eta && i > 0 {
		left := p.left(i, spent)
		line = fmt.Sprintf("iomodel: [%d/%d] %s: %s (%.0f s, about %v left)", i+1, p.n, model, phase, spent.Seconds(), left.Round(time.Second))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// finish ends the progress line and says how the measurement ended:
// "interrupted" when ctx did, else err.
func (p *progress) finish(ctx context.Context, err error) error {
	p.done()
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return err
}

func (p *progress) done() {
	if p.on && p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
