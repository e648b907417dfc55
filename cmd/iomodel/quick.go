//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/report"
)

// quickCmd is the no-argument comparison: every model (one per family) in
// both shapes, its goroutine Conn and its engine, as servers beside net's,
// each in a process of its own, under a client in another; in rounds,
// medians. About 25 s on 2 CPUs.
func quickCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("quick", "[flags]", std)
	list := fs.String("models", "quick", "models, comma-separated: names ("+modelList()+"), families, patterns, quick (one per family) or all; net, the baseline, is always among them")
	conns := fs.Int("conns", 100, "echo connections")
	idle := fs.Int("idle", 1000, "idle connections held after the echo")
	dur := fs.Duration("d", 250*time.Millisecond, "length of each echo run")
	rounds := fs.Int("rounds", 3, "rounds: each runs every server once, in an order that rotates; figures are medians")
	format := fs.String("format", "table", "output: table (120 columns; wide is the same, as every column fits), markdown or json")
	svg := fs.String("svg", "", "also write an SVG chart to this file")
	progress := fs.Bool("progress", true, "show progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments %q", fs.Args())
	case *conns < 1 || *idle < 1 || *rounds < 1 || *dur <= 0:
		return usagef("-conns, -idle and -rounds must be at least 1, -d positive")
	case !slices.Contains([]string{"table", "wide", "markdown", "json"}, *format):
		return usagef("unknown format %q (known: table, wide, markdown, json)", *format)
	}
	ms, err := selectWithNet(*list)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program, to run the servers and the client: %w", err)
	}
	var svgFile *os.File
	if *svg != "" {
		if svgFile, err = os.Create(*svg); err != nil {
			return usageError{err}
		}
		defer svgFile.Close()
	}
	if limit, _ := load.RaiseNoFile(); uint64(*idle)+256 > limit {
		return usagef("-idle %d needs more descriptors than RLIMIT_NOFILE allows (%d)", *idle, limit)
	}

	var targets []load.Target
	type origin struct {
		m     models.Model
		shape string
	}
	from := map[string]origin{}
	for _, m := range ms {
		if m.Family == "net" {
			targets = append(targets, serveTarget(self, m, "net", false))
			from["net"] = origin{m, ""}
			continue
		}
		targets = append(targets, serveTarget(self, m, m.Name+" conn", false))
		from[m.Name+" conn"] = origin{m, "conn"}
		if m.HasEngine() {
			targets = append(targets, serveTarget(self, m, m.Name+" loop", true))
			from[m.Name+" loop"] = origin{m, "loop"}
		}
	}
	cfg := load.EventConfig{
		Targets: targets, Shapes: []string{load.EventEcho, load.EventIdle},
		EchoConns: []int{*conns}, IdleConns: []int{*idle}, Rounds: *rounds, Duration: *dur,
		Together: true, Settle: 100 * time.Millisecond,
	}
	cfg.Echo, cfg.Idle = selfClients(self)
	p := newProgress(std.err, *progress, cfg.EventRuns())
	p.eta = true
	cfg.Progress = func(i, n int, r load.EventRun) {
		p.phase(i, r.Server, fmt.Sprintf("round %d/%d", r.Round+1, *rounds))
	}
	runs, err := load.MeasureEvents(ctx, cfg)
	if err := p.finish(ctx, err); err != nil {
		return err
	}

	// One row per server: its echo's medians and its idle's.
	var rows []report.Shape
	for _, s := range load.SummarizeEvents(runs) {
		o := from[s.Server]
		i := slices.IndexFunc(rows, func(r report.Shape) bool { return r.Name() == s.Server })
		if i < 0 {
			rows = append(rows, report.Shape{Model: o.m.Name, Family: o.m.Family, Shape: o.shape})
			i = len(rows) - 1
		}
		r := &rows[i]
		if s.Rounds == 0 {
			r.Err = strings.Join(append([]string{r.Err}, s.Failed...), "; ")
			r.Err = strings.TrimPrefix(r.Err, "; ")
			continue
		}
		if s.Shape == load.EventIdle {
			r.IdleConns, r.IdleBytes = s.Conns, s.MemPerConn
			continue
		}
		r.Conns, r.MsgsPerSec, r.CPUPerMsg, r.Threads = s.Conns, s.Rate, s.CPUPerReq, s.Threads
		r.P50, r.P99 = float64(s.P50)/1e3, float64(s.P99)/1e3
		if s.Syscalls >= 0 {
			sys, wake := s.Syscalls, s.Wakeups
			r.SyscallsPerMsg, r.WakeupsPerMsg = &sys, &wake
		}
	}
	// In the order of the model table, net last; each model's conn first.
	order := func(r report.Shape) int {
		return slices.IndexFunc(ms, func(m models.Model) bool { return m.Name == r.Model })
	}
	slices.SortStableFunc(rows, func(a, b report.Shape) int {
		if d := order(a) - order(b); d != 0 {
			return d
		}
		return strings.Compare(a.Shape, b.Shape)
	})

	setup := fmt.Sprintf("64-byte echo at %d conns for %v, then %d idle conns; median of %d rounds; %s", *conns, *dur, *idle, *rounds, machine())
	switch *format {
	case "table", "wide":
		fmt.Fprintln(std.out, strings.TrimSpace(wrap(setup, termWidth)))
		fmt.Fprintln(std.out)
		if err := report.ShapesTable(std.out, rows); err != nil {
			return err
		}
		fmt.Fprint(std.out, "\n", report.ShapesLegend)
		fmt.Fprint(std.out, "\n", wrap("iomodel bench measures each model as a client (round trip, stream, idle CPU); iomodel load runs the servers under redis-benchmark, wrk and more connections.", termWidth))
	case "markdown":
		fmt.Fprintf(std.out, "    %s\n\n%s\n\n", shellWords(append([]string{"iomodel", "quick"}, args...)), setup)
		if err := report.ShapesMarkdown(std.out, rows); err != nil {
			return err
		}
		fmt.Fprint(std.out, "\n", report.ShapesLegend)
	case "json":
		if err := report.ShapesJSON(std.out, withInfo(newRunInfo(append([]string{"quick"}, args...)...), map[string]any{
			"conns": *conns, "idle_conns": *idle, "run": dur.String(), "rounds": *rounds,
		}), rows); err != nil {
			return err
		}
	}
	if svgFile != nil {
		if err := report.ShapesSVG(svgFile, setup, rows); err != nil {
			return err
		}
		if err := svgFile.Close(); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(rows, func(r report.Shape) bool { return r.Err != "" }) {
		return errors.New("some servers failed: see the table")
	}
	return nil
}
