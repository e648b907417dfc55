//go:build linux

package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// Config is what `iomodel load` measures.
type Config struct {
	Models   []models.Model // servers; net, the baseline, among them
	Shapes   []Shape
	Conns    []int
	Rounds   int
	Duration time.Duration // of each run
	Threads  int           // wrk -t
	// Timeout is wrk's --timeout: a request slower than it is counted as a
	// timeout and left out of the latencies, so it must exceed the tail.
	Timeout time.Duration
	// Wrk is the path of wrk; Echo runs the echo shape's client (in
	// another process, so that the server's CPU time is its own).
	Wrk  string
	Echo func(ctx context.Context, addr string, conns int, d time.Duration) (EchoResult, error)
	// CPUTime is the CPU time this process has used (getrusage).
	CPUTime func() time.Duration
	// Progress, if not nil, hears of each run before it starts.
	Progress func(i, n int, r Run)
}

// Run is one server's run under one load in one round.
type Run struct {
	Round  int    // from 0
	Order  int    // place in its round, from 0
	Shape  string // Shape.Name
	Conns  int
	Server string // the model's name; "net" for the baseline
	Family string

	Wrk Wrk
	// CPUPerReq is the serving process's CPU time per request, µs
	// (getrusage(RUSAGE_SELF) over the run: the load generator is another
	// process).
	CPUPerReq float64
	// Fewest, Median and Most are the fewest, the median and the most
	// requests one connection was answered (-1 when not meaningful: a
	// connection per request); Unanswered counts the connections never
	// answered at all.
	Fewest, Median, Most int64
	Unanswered           int
	// Err says why the run has no figures, or what went wrong around it.
	Err string
}

// Measure runs every shape at every connection count, in rounds: each
// round runs every server once, the order rotating from round to round so
// that no server always follows the same one.
func Measure(ctx context.Context, cfg Config) ([]Run, error) {
	var tlsCfg *tls.Config
	for _, s := range cfg.Shapes {
		if s.TLS && tlsCfg == nil {
			var err error
			if tlsCfg, err = SelfSigned(); err != nil {
				return nil, fmt.Errorf("making a certificate: %w", err)
			}
		}
	}
	scripts := map[string]string{}
	defer func() {
		for _, p := range scripts {
			os.Remove(p)
		}
	}()
	for _, s := range cfg.Shapes {
		if s.Echo {
			continue
		}
		f, err := os.CreateTemp("", "iomodel-load-"+s.Name+"-*.lua")
		if err != nil {
			return nil, err
		}
		scripts[s.Name] = f.Name()
		_, err = f.WriteString(Script(s))
		if err = errors.Join(err, f.Close()); err != nil {
			return nil, err
		}
	}
	total := len(cfg.Shapes) * len(cfg.Conns) * cfg.Rounds * len(cfg.Models)
	var runs []Run
	for _, s := range cfg.Shapes {
		for _, n := range cfg.Conns {
			for round := range cfg.Rounds {
				for k := range cfg.Models {
					if err := ctx.Err(); err != nil {
						return runs, err
					}
					m := cfg.Models[(round+k)%len(cfg.Models)]
					r := Run{Round: round, Order: k, Shape: s.Name, Conns: n, Server: m.Name, Family: m.Family}
					if cfg.Progress != nil {
						cfg.Progress(len(runs), total, r)
					}
					cfg.one(ctx, &r, m, s, scripts[s.Name], tlsCfg)
					runs = append(runs, r)
				}
			}
		}
	}
	return runs, nil
}

// one serves s on m and loads it.
func (cfg Config) one(ctx context.Context, r *Run, m models.Model, s Shape, script string, tlsCfg *tls.Config) {
	inst, err := m.Start()
	if err != nil {
		r.Err = "start: " + err.Error()
		return
	}
	defer inst.Close()
	ln, err := inst.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.Err = "listen: " + err.Error()
		return
	}
	srv := Serve(ln, s, tlsCfg)
	addr := ln.Addr().String()
	var w Wrk
	var runErr error
	var fewest, median, most int64 = -1, -1, -1
	cpu0 := cfg.CPUTime()
	if s.Echo {
		var er EchoResult
		if er, runErr = cfg.Echo(ctx, addr, r.Conns, cfg.Duration); runErr == nil {
			w, runErr = er.Wrk()
			fewest, median, most = er.Fewest, er.Median, er.Most
		}
	} else {
		w, runErr = cfg.wrk(ctx, s, r.Conns, script, addr)
	}
	cpu := cfg.CPUTime() - cpu0
	if !s.Echo && !s.Close {
		fewest, median, most, r.Unanswered = srv.PerConn()
	}
	closeErr := srv.Close()
	r.Wrk, r.Fewest, r.Median, r.Most = w, fewest, median, most
	if w.Requests > 0 {
		r.CPUPerReq = float64(cpu.Microseconds()) / float64(w.Requests)
	}
	if err := errors.Join(runErr, closeErr); err != nil {
		r.Err = err.Error()
	}
}

// wrk runs wrk against addr and parses its report.
func (cfg Config) wrk(ctx context.Context, s Shape, conns int, script, addr string) (Wrk, error) {
	scheme := "http"
	if s.TLS {
		scheme = "https"
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+cfg.Timeout+30*time.Second)
	defer cancel()
	args := WrkArgs(cfg.Threads, conns, cfg.Duration, cfg.Timeout, script, scheme+"://"+addr+s.Path)
	cmd := exec.CommandContext(ctx, cfg.Wrk, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Wrk{}, fmt.Errorf("wrk %v: %v: %s", args, err, out)
	}
	return ParseWrk(string(out))
}

// WrkArgs are wrk's arguments for one run.
func WrkArgs(threads, conns int, d, timeout time.Duration, script, url string) []string {
	return []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + wrkSeconds(d), "--timeout", wrkSeconds(timeout), "--latency", "-s", script, url}
}

// wrkSeconds writes d as wrk reads it: whole seconds, at least one.
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second/2)/time.Second))) + "s"
}
