//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// loadLongRun is the long run load -h points to: every model, every shape,
// more connections, more and longer rounds.
const loadLongRun = "iomodel load -models all -shapes all -rounds 5 -d 4s -pipeline 1,16 -echo-conns 100,1000,10000 -idle 10000,15000 -conns 100,1000,5000"

// loadAbout is load's text in its usage: what it runs, under which load
// generators, how long its defaults take (from fs's defaults), and how to
// ask for the long run.
func loadAbout(fs *flag.FlagSet) string {
	def := func(name string) string {
		if f := fs.Lookup(name); f != nil {
			return f.DefValue
		}
		return ""
	}
	plan, long := "an unknown time", "longer"
	if d, err := loadPlanned(def); err == nil {
		plan = "about " + roughly(d)
	}
	if d, err := loadPlanned(longRun(def)); err == nil {
		long = "about " + roughly(d)
	}
	return fmt.Sprintf(`Runs servers, each in a process of its own, under load generators in other
processes: the models (-models) in their goroutine shape (conn) and their loop
shape (loop), beside package net's, Redis (redis-server), gnet and nbio (the
peers module, built once per run with go build).

The event shapes (-shapes events, the default):
  resp      redis-benchmark (installed apart: apt-get install redis-tools)
            -t set and -t get on the RESP key-value store, at each -clients
            and -pipeline
  tcp-echo  64-byte round trips under the tool's own echo client (package
            net), at each -echo-conns
  idle      the tool's own client holds -idle connections open: the
            server's memory per connection
The HTTP shapes (-shapes hello,close,64k,body,https,echo or all): net/http on
each model's Listener under wrk (installed apart: apt-get install wrk), at
each -conns.

Each round runs every server once, in an order that rotates from round to
round; the figures are medians over the rounds, with ratios to net's run in
the same round. The plan (runs and time) is printed first, and the progress
line says how much is left. The report is an aligned table of 120 columns
(-format wide: every column; markdown: a page with its machine, date and
commit; json: the same as data).

How long: with Redis, gnet and nbio on 2 CPUs, plus building the peers,
  iomodel load            %s (-models %s, -rounds %s, -d %s)
and the long run, %s:
  %s
`, plan, def("models"), def("rounds"), def("d"), long, loadLongRun)
}

// longRun is get with loadLongRun's flags in place of its values.
func longRun(get func(string) string) func(string) string {
	set := map[string]string{}
	f := strings.Fields(strings.TrimPrefix(loadLongRun, "iomodel load "))
	for i := 0; i+1 < len(f); i += 2 {
		set[strings.TrimPrefix(f[i], "-")] = f[i+1]
	}
	return func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		return get(name)
	}
}

// loadPlanned is about how long load takes with the flags' values get
// returns, with every server there (Redis, gnet, nbio): its event shapes'
// Planned time and its HTTP shapes' runs. No server is started.
func loadPlanned(get func(string) string) (time.Duration, error) {
	rounds, err := strconv.Atoi(get("rounds"))
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(get("d"))
	if err != nil {
		return 0, err
	}
	settle, err := time.ParseDuration(get("idle-settle"))
	if err != nil {
		return 0, err
	}
	ms, err := models.Select(get("models"))
	if err != nil {
		return 0, err
	}
	events, httpShapes, err := splitShapes(get("shapes"))
	if err != nil {
		return 0, err
	}
	var cs [5][]int
	for i, name := range []string{"clients", "pipeline", "echo-conns", "idle", "conns"} {
		if cs[i], err = parseCounts("-"+name, get(name)); err != nil {
			return 0, err
		}
	}
	targets := []load.Target{{Name: "redis", RESPOnly: true}, {Name: "gnet"}, {Name: "nbio"}, {Name: "net"}}
	servers := 1 // net, for the HTTP shapes
	for _, m := range ms {
		if m.Family == "net" {
			continue
		}
		servers++
		for shape := range strings.SplitSeq(get("model-shapes"), ",") {
			if shape == "conn" || m.HasEngine() {
				targets = append(targets, load.Target{Name: m.Name + " " + shape})
			}
		}
	}
	cfg := load.EventConfig{
		Targets: targets, Shapes: events, Rounds: rounds, Duration: d, Settle: settle,
		Clients: cs[0], Pipelines: cs[1], EchoConns: cs[2], IdleConns: cs[3],
	}
	total := cfg.Planned()
	if httpShapes != "" {
		shapes, err := load.SelectShapes(httpShapes)
		if err != nil {
			return 0, err
		}
		total += httpPlanned(len(shapes)*len(cs[4])*rounds*servers, d)
	}
	return total, nil
}

// roughly says d as a reader plans with it: seconds under two minutes,
// else minutes.
func roughly(d time.Duration) string {
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < 90*time.Minute:
		return fmt.Sprintf("%.0f minutes", d.Minutes())
	}
	return fmt.Sprintf("%.1f hours", d.Hours())
}

// eventPlan is the line load prints before its event shapes run: how many
// runs, made of what, and about how long.
func eventPlan(cfg load.EventConfig, building bool) string {
	setup := ""
	if building {
		setup = ", plus building the peers"
	}
	return fmt.Sprintf("iomodel load: %d runs (%d servers, %d round(s) of %s, each run %v), about %s%s",
		cfg.EventRuns(), len(cfg.Targets), cfg.Rounds, strings.Join(cfg.Shapes, ", "), cfg.Duration, roughly(cfg.Planned()), setup)
}

// httpPlan is the line load prints before its HTTP shapes run.
func httpPlan(cfg load.Config) string {
	n := httpRuns(cfg)
	names := make([]string, len(cfg.Shapes))
	for i, s := range cfg.Shapes {
		names[i] = s.Name
	}
	return fmt.Sprintf("iomodel load: %d runs (%d servers × %d shape(s) × %d connection count(s) × %d round(s), each run %v), about %s",
		n, len(cfg.Models), len(cfg.Shapes), len(cfg.Conns), cfg.Rounds, cfg.Duration, roughly(httpPlanned(n, cfg.Duration)))
}

// httpPlanned is about how long n HTTP runs of d take: wrk's whole
// seconds, and some more to start the server, wrk and its connections.
func httpPlanned(n int, d time.Duration) time.Duration {
	return time.Duration(n) * (max(time.Second, d.Round(time.Second)) + 300*time.Millisecond)
}

// httpJSON writes the HTTP shapes' runs and medians as JSON, under their
// context (runInfo) and setup.
func httpJSON(w io.Writer, args []string, setup string, runs []load.Run) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	err := e.Encode(withInfo(newRunInfo(append([]string{"load"}, args...)...), map[string]any{
		"setup": setup, "runs": runs, "medians": load.Summarize(runs),
	}))
	if slices.ContainsFunc(runs, func(r load.Run) bool { return r.Err != "" }) {
		err = errors.Join(err, errors.New("some runs failed or reported errors: see the runs"))
	}
	return err
}

// httpRuns is how many runs the HTTP shapes make.
func httpRuns(cfg load.Config) int {
	return len(cfg.Shapes) * len(cfg.Conns) * cfg.Rounds * len(cfg.Models)
}

// left is about how long the steps from i on take: from the pace so far,
// and, when there is a plan, from what is left of it, the pace weighing
// the more the further along the run is, so that the first steps (a
// server's first start, a first round sized by a guess) do not swing it.
func (p *progress) left(i int, spent time.Duration) time.Duration {
	pace := spent / time.Duration(i) * time.Duration(p.n-i)
	if p.plan <= 0 {
		return pace
	}
	f := float64(i) / float64(p.n)
	return time.Duration(f*float64(pace) + (1-f)*float64(max(0, p.plan-spent)))
}
