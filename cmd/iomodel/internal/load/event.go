//go:build linux

package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The event shapes: servers in processes of their own (the models' loop
// and goroutine shapes through iomodel serve, package net's, gnet's and
// nbio's, Redis itself), driven by clients in other processes.
const (
	EventRESP = "resp"     // redis-benchmark -t set and -t get
	EventEcho = "tcp-echo" // 64-byte round trips, our client
	EventIdle = "idle"     // memory per idle connection
)

// EventShapes are the event shapes in the order they run, with what each
// is, for the report.
var EventShapes = []struct{ Name, Say string }{
	{EventRESP, "redis-benchmark -t set, then -t get, on the RESP key-value store (Redis itself, or the tool's executor on every other server); req/s, p50, p99, max as redis-benchmark reports them"},
	{EventEcho, "64-byte round trips on a TCP echo, each connection a closed loop; the client is ours (package net, another process)"},
	{EventIdle, "connections opened by a client in another process, each echoed once, then left idle: the server's resident memory (VmRSS) grown per connection"},
}

// Target is a server of the event shapes.
type Target struct {
	Name   string // as the tables show it: "multiplex/epoll loop", "net", "redis"
	Family string // "net" for the baseline of the ratios
	// Start starts it serving proto ("echo" or "resp").
	Start func(ctx context.Context, proto string) (*Proc, error)
	// RESPOnly marks Redis, which does not echo.
	RESPOnly bool
	// Counted marks iomodel serve, which tells its Counts on SIGUSR1.
	Counted bool
}

// EventConfig is what the event shapes measure.
type EventConfig struct {
	Targets []Target
	Shapes  []string
	// Clients and Pipelines are redis-benchmark's -c and -P, one run each
	// pair; Requests its -n, or 0 to size it to Duration (see sizeRESP).
	Clients, Pipelines []int
	Requests           int
	Bench              string // redis-benchmark's path
	EchoConns          []int
	IdleConns          []int
	Rounds             int
	Duration           time.Duration // of an echo run
	// Echo runs the echo client in another process for d, calling timed
	// when every connection is open and the timed part starts.
	Echo func(ctx context.Context, addr string, conns int, d time.Duration, timed func()) (EchoResult, error)
	// Idle opens conns idle connections from another process and calls
	// held while they are all open and answered once.
	Idle     func(ctx context.Context, addr string, conns int, held func()) error
	Progress func(i, n int, r EventRun)
	// Together runs the idle shape on the server the echo shape has just
	// used, one start for both (EchoConns and IdleConns pair up by place):
	// quicker, for the tool's no-argument comparison.
	Together bool
	// Settle is how long idle waits, with the connections open, before it
	// reads the memory; 0 means a second.
	Settle time.Duration

	rates map[string]float64 // by target, shape and clients: the last run's req/s
}

// EventRun is one target's run of one event shape in one round.
type EventRun struct {
	Round, Order int
	Shape        string // "resp set P1", "tcp-echo", "idle"
	Conns        int
	Server       string
	Family       string
	// Rate is requests (or round trips) per second; P50, P99 and Max their
	// latency.
	Rate          float64
	P50, P99, Max time.Duration
	// CPUPerReq is the server process's CPU time per request, µs
	// (/proc/PID/stat over the run).
	CPUPerReq float64
	// Threads is the server's OS threads at the end of the run.
	Threads int
	// Fewest, Median and Most are the round trips of the slowest-served,
	// median and best-served connection (echo only; -1 otherwise).
	Fewest, Median, Most int64
	// MemPerConn is the growth of the server's resident memory per idle
	// connection, bytes (idle only).
	MemPerConn float64
	// Syscalls and Wakeups per request, from the server's Counts (echo,
	// on targets that count; -1 otherwise).
	Syscalls, Wakeups float64
	Err               string
}

// Planned is about how long the runs take: an echo run its Duration, a
// resp run two of them (SET, then GET), an idle run the time to connect
// (about 5000 connections a second here) and Settle; each some more
// (runSetup) to start and stop its server and client. Measured on 2 CPUs:
// an echo run of 1 s took 1.3 s, a resp run 1.7 to 2.3 s, an idle run of
// 5000 connections 2.6 s.
func (cfg EventConfig) Planned() time.Duration {
	const runSetup = 300 * time.Millisecond
	settle := cfg.Settle
	if settle == 0 {
		settle = time.Second
	}
	echoers := 0
	for _, tg := range cfg.Targets {
		if !tg.RESPOnly {
			echoers++
		}
	}
	var d time.Duration
	for _, s := range cfg.Shapes {
		switch s {
		case EventRESP:
			d += time.Duration(len(cfg.Clients)*len(cfg.Pipelines)*len(cfg.Targets)) * (2*cfg.Duration + runSetup)
		case EventEcho:
			d += time.Duration(len(cfg.EchoConns)*echoers) * (cfg.Duration + runSetup)
		case EventIdle:
			for _, n := range cfg.IdleConns {
				run := time.Duration(n)*time.Second/5000 + settle
				if !cfg.Together { // else on the echo's server, started already
					run += 2 * runSetup
				}
				d += time.Duration(echoers) * run
			}
		}
	}
	return d * time.Duration(cfg.Rounds)
}

// EventRuns counts the runs cfg makes, for the progress line.
func (cfg EventConfig) EventRuns() int {
	n := 0
	for _, s := range cfg.Shapes {
		t := len(cfg.Targets)
		if s != EventRESP {
			t = 0
			for _, tg := range cfg.Targets {
				if !tg.RESPOnly {
					t++
				}
			}
		}
		switch s {
		case EventRESP:
			n += len(cfg.Clients) * len(cfg.Pipelines) * t
		case EventEcho:
			n += len(cfg.EchoConns) * t
		case EventIdle:
			if !cfg.Together {
				n += len(cfg.IdleConns) * t
			}
		}
	}
	return n * cfg.Rounds
}

// MeasureEvents runs every event shape at every count, in rounds: each
// round runs every target once, in an order that rotates from round to
// round, so that a passing disturbance of the machine spreads over all.
func MeasureEvents(ctx context.Context, cfg EventConfig) ([]EventRun, error) {
	total := cfg.EventRuns()
	cfg.rates = map[string]float64{}
	var runs []EventRun
	done := 0
	each := func(shape string, conns int, targets []Target, one func(ctx context.Context, r *EventRun, t Target) []EventRun) error {
		for round := range cfg.Rounds {
			for k := range targets {
				if err := ctx.Err(); err != nil {
					return err
				}
				t := targets[(round+k)%len(targets)]
				r := EventRun{Round: round, Order: k, Shape: shape, Conns: conns, Server: t.Name, Family: t.Family, Fewest: -1, Median: -1, Most: -1, Syscalls: -1, Wakeups: -1}
				if cfg.Progress != nil {
					cfg.Progress(done, total, r)
				}
				runs = append(runs, one(ctx, &r, t)...)
				done++
			}
		}
		return nil
	}
	var echoers []Target
	for _, t := range cfg.Targets {
		if !t.RESPOnly {
			echoers = append(echoers, t)
		}
	}
	for _, s := range cfg.Shapes {
		var err error
		switch s {
		case EventRESP:
			for _, c := range cfg.Clients {
				for _, p := range cfg.Pipelines {
					if err = each(fmt.Sprintf("resp P%d", p), c, cfg.Targets, func(ctx context.Context, r *EventRun, t Target) []EventRun {
						return cfg.resp(ctx, r, t, c, p)
					}); err != nil {
						break
					}
				}
			}
		case EventEcho:
			for i, n := range cfg.EchoConns {
				one := cfg.echo
				if cfg.Together && i < len(cfg.IdleConns) {
					one = func(ctx context.Context, r *EventRun, t Target) []EventRun {
						return cfg.echoIdle(ctx, r, t, cfg.IdleConns[i])
					}
				}
				if err = each(EventEcho, n, echoers, one); err != nil {
					break
				}
			}
		case EventIdle:
			if cfg.Together {
				continue // with the echo
			}
			for _, n := range cfg.IdleConns {
				if err = each(EventIdle, n, echoers, cfg.idle); err != nil {
					break
				}
			}
		}
		if err != nil {
			return runs, err
		}
	}
	return runs, nil
}

// resp runs redis-benchmark -t set, then -t get, against t, one row each.
func (cfg EventConfig) resp(ctx context.Context, base *EventRun, t Target, clients, pipeline int) []EventRun {
	set, get := *base, *base
	set.Shape, get.Shape = fmt.Sprintf("resp set P%d", pipeline), fmt.Sprintf("resp get P%d", pipeline)
	p, err := t.Start(ctx, "resp")
	if err != nil {
		set.Err, get.Err = "start: "+err.Error(), "start: "+err.Error()
		return []EventRun{set, get}
	}
	for _, r := range []*EventRun{&set, &get} {
		test := strings.Fields(r.Shape)[1]
		key := fmt.Sprintf("%s|%s|%d", r.Server, r.Shape, r.Conns)
		n := cfg.sizeRESP(pipeline, cfg.rates[key])
		u0, err := p.Usage()
		if err != nil {
			r.Err = err.Error()
			continue
		}
		row, err := cfg.redisBenchmark(ctx, p.Addr, test, n, clients, pipeline)
		u1, uerr := p.Usage()
		if err = errors.Join(err, uerr); err != nil {
			r.Err = err.Error()
			continue
		}
		r.Rate, r.P50, r.P99, r.Max = row.RPS, row.P50, row.P99, row.Max
		r.CPUPerReq = float64((u1.CPU - u0.CPU).Microseconds()) / float64(n)
		r.Threads = u1.Threads
		cfg.rates[key] = row.RPS
	}
	if err := p.Stop(); err != nil {
		set.Err = strings.TrimPrefix(set.Err+"; stop: "+err.Error(), "; ")
	}
	return []EventRun{set, get}
}

// sizeRESP is redis-benchmark's -n: Requests when set; else enough for
// about Duration at the rate the server reached in the previous round
// (redis-benchmark has no duration of its own), or in the first round at a
// rate that this machine's slowest servers reach, at least 2000.
func (cfg EventConfig) sizeRESP(pipeline int, last float64) int {
	if cfg.Requests > 0 {
		return cfg.Requests
	}
	rate := last
	if rate == 0 {
		rate = 25e3
		if pipeline > 1 {
			rate = 150e3
		}
	}
	return max(2000, int(rate*cfg.Duration.Seconds()))
}

func (cfg EventConfig) redisBenchmark(ctx context.Context, addr, test string, n, clients, pipeline int) (BenchRow, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return BenchRow{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	args := []string{"-h", host, "-p", port, "-t", test, "-n", strconv.Itoa(n), "-c", strconv.Itoa(clients), "-P", strconv.Itoa(pipeline), "--csv"}
	out, err := exec.CommandContext(ctx, cfg.Bench, args...).CombinedOutput()
	if err != nil {
		return BenchRow{}, fmt.Errorf("redis-benchmark %s: %v: %s", strings.Join(args, " "), err, out)
	}
	rows, err := ParseBenchmarkCSV(string(out))
	if err != nil {
		return BenchRow{}, err
	}
	if len(rows) != 1 || !strings.EqualFold(rows[0].Test, test) {
		return BenchRow{}, fmt.Errorf("redis-benchmark -t %s printed %d rows: %q", test, len(rows), out)
	}
	return rows[0], nil
}

// echo runs the echo client against t for cfg.Duration.
func (cfg EventConfig) echo(ctx context.Context, r *EventRun, t Target) []EventRun {
	p, err := t.Start(ctx, "echo")
	if err != nil {
		r.Err = "start: " + err.Error()
		return []EventRun{*r}
	}
	err = cfg.echoOn(ctx, p, r, t)
	if err = errors.Join(err, p.Stop()); err != nil {
		r.Err = err.Error()
	}
	return []EventRun{*r}
}

// echoIdle runs the echo client, then the idle one, on one start of t.
func (cfg EventConfig) echoIdle(ctx context.Context, r *EventRun, t Target, idle int) []EventRun {
	ir := *r
	ir.Shape, ir.Conns = EventIdle, idle
	p, err := t.Start(ctx, "echo")
	if err != nil {
		r.Err, ir.Err = "start: "+err.Error(), "start: "+err.Error()
		return []EventRun{*r, ir}
	}
	if err := cfg.echoOn(ctx, p, r, t); err != nil {
		r.Err = err.Error()
	}
	if err := cfg.idleOn(ctx, p, &ir); err != nil {
		ir.Err = err.Error()
	}
	if err := p.Stop(); err != nil {
		ir.Err = strings.TrimPrefix(ir.Err+"; "+err.Error(), "; ")
	}
	return []EventRun{*r, ir}
}

// echoOn runs the echo client against p, a start of t.
func (cfg EventConfig) echoOn(ctx context.Context, p *Proc, r *EventRun, t Target) error {
	var u0 Usage
	var c0 Counts
	var uerr, cerr error
	er, err := cfg.Echo(ctx, p.Addr, r.Conns, cfg.Duration, func() {
		u0, uerr = p.Usage()
		if t.Counted {
			c0, cerr = p.Counts()
		}
	})
	u1, uerr1 := p.Usage()
	var c1 Counts
	var cerr1 error
	if t.Counted {
		c1, cerr1 = p.Counts()
	}
	if err = errors.Join(err, uerr, uerr1, cerr, cerr1); err != nil {
		return err
	}
	w, err := er.Wrk()
	if err != nil {
		return err
	}
	r.Rate, r.P50, r.P99, r.Max = w.ReqPerS, w.P50, w.P99, w.Max
	r.Fewest, r.Median, r.Most = er.Fewest, er.Median, er.Most
	r.CPUPerReq = float64((u1.CPU - u0.CPU).Microseconds()) / float64(er.RoundTrips)
	r.Threads = u1.Threads
	if c1.Counted {
		// The counts include the client's connects and closing: a few
		// calls per connection, against many round trips each.
		r.Syscalls = float64(c1.Syscalls-c0.Syscalls) / float64(er.RoundTrips)
		r.Wakeups = float64(c1.Wakeups-c0.Wakeups) / float64(er.RoundTrips)
	}
	return nil
}

// idle has cfg.Idle hold r.Conns connections to t and reads how much the
// server's resident memory grew.
func (cfg EventConfig) idle(ctx context.Context, r *EventRun, t Target) []EventRun {
	p, err := t.Start(ctx, "echo")
	if err != nil {
		r.Err = "start: " + err.Error()
		return []EventRun{*r}
	}
	err = cfg.idleOn(ctx, p, r)
	if err = errors.Join(err, p.Stop()); err != nil {
		r.Err = err.Error()
	}
	return []EventRun{*r}
}

func (cfg EventConfig) idleOn(ctx context.Context, p *Proc, r *EventRun) error {
	u0, err := p.Usage()
	if err != nil {
		return err
	}
	var u1 Usage
	var uerr error
	err = cfg.Idle(ctx, p.Addr, r.Conns, func() {
		// Let what the connections' setup left behind be collected (a
		// Go server's GC runs at its own pace), then read.
		settle := cfg.Settle
		if settle == 0 {
			settle = time.Second
		}
		time.Sleep(settle)
		u1, uerr = p.Usage()
	})
	if err = errors.Join(err, uerr); err != nil {
		return err
	}
	r.MemPerConn = float64(u1.RSS-u0.RSS) / float64(r.Conns)
	r.Threads = u1.Threads
	return nil
}
