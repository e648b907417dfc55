//go:build linux

package load

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// key names the runs that are the same measurement in different rounds.
type key struct {
	shape  string
	conns  int
	server string
}

// Summary is one server under one load, over the rounds: medians, and the
// errors of every round added up.
type Summary struct {
	Shape  string
	Conns  int
	Server string
	Rounds int // runs with figures
	Failed []string

	ReqPerS, P50, P99, P999, Max, CPUPerReq float64 // medians; latencies in µs
	// ReqRatio and P99Ratio are the medians of the per-round ratios to
	// net's run in the same round (0 without one).
	ReqRatio, P99Ratio   float64
	Fewest, Median, Most int64 // medians over the rounds; -1 when not meaningful
	Unanswered           int   // the most connections never answered in one round
	Non2xx, SockErrs     int64 // sums over the rounds
}

// Ratios are a run's figures over net's in the same round, shape and
// connection count; ok is false when there is no such net run with figures.
func Ratios(runs []Run, r Run) (req, p99 float64, ok bool) {
	i := slices.IndexFunc(runs, func(b Run) bool {
		return b.Family == "net" && b.Round == r.Round && b.Shape == r.Shape && b.Conns == r.Conns && b.Err == "" && b.Wrk.Requests > 0
	})
	if i < 0 || r.Wrk.Requests == 0 {
		return 0, 0, false
	}
	b := runs[i].Wrk
	return r.Wrk.ReqPerS / b.ReqPerS, float64(r.Wrk.P99) / float64(b.P99), true
}

// group gathers the runs of each measurement (shape, connection count,
// server) over the rounds, in the order of their first runs, but with
// net's first among those of the same shape and count: the tables read
// better so.
func group[R any](runs []R, keyOf func(R) key) ([]key, map[key][]R) {
	var order []key
	by := map[key][]R{}
	for _, r := range runs {
		k := keyOf(r)
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], r)
	}
	slices.SortStableFunc(order, func(a, b key) int {
		if a.shape != b.shape || a.conns != b.conns {
			return 0
		}
		return boolCmp(b.server == "net", a.server == "net")
	})
	return order, by
}

// Summarize folds the rounds into medians, in the order of first runs.
func Summarize(runs []Run) []Summary {
	order, by := group(runs, func(r Run) key { return key{r.Shape, r.Conns, r.Server} })
	var out []Summary
	for _, k := range order {
		s := Summary{Shape: k.shape, Conns: k.conns, Server: k.server}
		var good []Run
		var reqR, p99R []float64
		for _, r := range by[k] {
			s.Unanswered = max(s.Unanswered, r.Unanswered)
			s.Non2xx += r.Wrk.Non2xx
			s.SockErrs += r.Wrk.SocketErrors()
			if r.Err != "" {
				s.Failed = append(s.Failed, fmt.Sprintf("round %d: %s", r.Round+1, firstLine(r.Err)))
			}
			if r.Wrk.Requests == 0 {
				continue
			}
			good = append(good, r)
			if q, p, ok := Ratios(runs, r); ok {
				reqR, p99R = append(reqR, q), append(p99R, p)
			}
		}
		s.Rounds = len(good)
		if len(good) > 0 {
			us := func(f func(Wrk) time.Duration) float64 {
				return median(good, func(r Run) float64 { return float64(f(r.Wrk)) / 1e3 })
			}
			s.ReqPerS = median(good, func(r Run) float64 { return r.Wrk.ReqPerS })
			s.P50 = us(func(w Wrk) time.Duration { return w.P50 })
			s.P99 = us(func(w Wrk) time.Duration { return w.P99 })
			s.P999 = us(func(w Wrk) time.Duration { return w.P999 })
			s.Max = us(func(w Wrk) time.Duration { return w.Max })
			s.CPUPerReq = median(good, func(r Run) float64 { return r.CPUPerReq })
			s.Fewest = int64(median(good, func(r Run) float64 { return float64(r.Fewest) }))
			s.Median = int64(median(good, func(r Run) float64 { return float64(r.Median) }))
			s.Most = int64(median(good, func(r Run) float64 { return float64(r.Most) }))
			s.ReqRatio, s.P99Ratio = medianOf(reqR), medianOf(p99R)
		}
		out = append(out, s)
	}
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func median(rs []Run, f func(Run) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	return medianOf(vs)
}

func medianOf(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// WriteRounds writes every run, round by round, as a Markdown table.
func WriteRounds(w io.Writer, runs []Run) error {
	fmt.Fprintln(w, "| shape | conns | round | # | server | req/s | × net | p50 | p99 | × net p99 | p99.9 | max | CPU µs/req | req/conn min–median–max | non-2xx | socket errors c/r/w/t |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		x := r.Wrk
		req, p99, ok := Ratios(runs, r)
		ratio := func(v float64) string {
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%.2f", v)
		}
		cells := []string{r.Shape, fmt.Sprint(r.Conns), fmt.Sprint(r.Round + 1), fmt.Sprint(r.Order + 1), r.Server}
		if x.Requests == 0 {
			cells = append(cells, "failed: "+md(firstLine(r.Err)))
		} else {
			cells = append(cells, rate(x.ReqPerS), ratio(req), dur(x.P50), dur(x.P99), ratio(p99), dur(x.P999), dur(x.Max),
				fmt.Sprintf("%.1f", r.CPUPerReq), fairness(r.Fewest, r.Median, r.Most, r.Unanswered), fmt.Sprint(x.Non2xx),
				fmt.Sprintf("%d/%d/%d/%d", x.Connect, x.Read, x.Write, x.Timeout))
			if r.Err != "" {
				cells[len(cells)-1] += " (" + md(firstLine(r.Err)) + ")"
			}
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}

// WriteSummary writes the medians as a Markdown table, for the README.
func WriteSummary(w io.Writer, ss []Summary) error {
	fmt.Fprintln(w, "| shape | conns | server | req/s | × net | p50 | p99 | × net p99 | p99.9 | max | CPU µs/req | req/conn min–median–max | non-2xx | socket errors |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range ss {
		cells := []string{s.Shape, fmt.Sprint(s.Conns), s.Server}
		if s.Rounds == 0 {
			cells = append(cells, "failed: "+md(strings.Join(s.Failed, "; ")))
		} else {
			ratio := func(v float64) string {
				if v == 0 {
					return "—"
				}
				return fmt.Sprintf("%.2f", v)
			}
			us := func(v float64) string { return dur(time.Duration(v * 1e3)) }
			cells = append(cells, rate(s.ReqPerS), ratio(s.ReqRatio), us(s.P50), us(s.P99), ratio(s.P99Ratio), us(s.P999), us(s.Max),
				fmt.Sprintf("%.1f", s.CPUPerReq), fairness(s.Fewest, s.Median, s.Most, s.Unanswered), fmt.Sprint(s.Non2xx), fmt.Sprint(s.SockErrs))
			if len(s.Failed) > 0 {
				cells[len(cells)-1] += fmt.Sprintf(" (%d failed: %s)", len(s.Failed), md(strings.Join(s.Failed, "; ")))
			}
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}

func fairness(fewest, median, most int64, unanswered int) string {
	if fewest < 0 {
		return "—"
	}
	s := fmt.Sprintf("%d–%d–%d", fewest, median, most)
	if unanswered > 0 {
		s += fmt.Sprintf(" (+%d never answered)", unanswered)
	}
	return s
}

func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// dur keeps three significant digits.
func dur(d time.Duration) string {
	us := float64(d) / 1e3
	switch {
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 10e3:
		return fmt.Sprintf("%.2f ms", us/1e3)
	case us < 1e6:
		return fmt.Sprintf("%.1f ms", us/1e3)
	}
	return fmt.Sprintf("%.2f s", us/1e6)
}
