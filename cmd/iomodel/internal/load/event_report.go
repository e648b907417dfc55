//go:build linux

package load

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// EventSummary is one target under one event shape over the rounds:
// medians, and the ratios to net's run in the same round.
type EventSummary struct {
	Shape  string
	Conns  int
	Server string
	Rounds int // runs with figures
	Failed []string

	Rate, CPUPerReq, MemPerConn float64
	P50, P99, Max               time.Duration
	Threads                     int
	Fewest, Median, Most        int64
	// Syscalls and Wakeups per request; -1 where the server keeps no
	// counts.
	Syscalls, Wakeups float64
	// RateRatio and CPURatio are the medians of the per-round ratios to
	// net's run (0 without one).
	RateRatio, CPURatio float64
	// RedisRate, RedisP99 and RedisCPU are the same to Redis's run (resp
	// only; 0 without one).
	RedisRate, RedisP99, RedisCPU float64
}

// eventRatios are r's rate and CPU per request (or memory per
// connection) over those of family's run in the same round, shape and
// count.
func eventRatios(runs []EventRun, r EventRun, family string) (rate, cpu float64, ok bool) {
	i := slices.IndexFunc(runs, func(b EventRun) bool {
		return b.Family == family && b.Round == r.Round && b.Shape == r.Shape && b.Conns == r.Conns && b.Err == ""
	})
	if i < 0 || r.Err != "" {
		return 0, 0, false
	}
	b := runs[i]
	if b.Rate > 0 && b.CPUPerReq > 0 {
		return r.Rate / b.Rate, r.CPUPerReq / b.CPUPerReq, true
	}
	if b.MemPerConn > 0 {
		return 0, r.MemPerConn / b.MemPerConn, true
	}
	return 0, 0, false
}

// SummarizeEvents folds the rounds into medians, in the order of first
// runs, net first in each group.
func SummarizeEvents(runs []EventRun) []EventSummary {
	order, by := group(runs, func(r EventRun) key { return key{r.Shape, r.Conns, r.Server} })
	var out []EventSummary
	for _, k := range order {
		s := EventSummary{Shape: k.shape, Conns: k.conns, Server: k.server}
		var good []EventRun
		var rateR, cpuR, rRate, rP99, rCPU []float64
		for _, r := range by[k] {
			if r.Err != "" {
				s.Failed = append(s.Failed, fmt.Sprintf("round %d: %s", r.Round+1, firstLine(r.Err)))
				continue
			}
			good = append(good, r)
			if q, c, ok := eventRatios(runs, r, "net"); ok {
				rateR, cpuR = append(rateR, q), append(cpuR, c)
			}
			if q, c, ok := eventRatios(runs, r, "redis"); ok {
				rRate, rCPU = append(rRate, q), append(rCPU, c)
				if i := slices.IndexFunc(runs, func(b EventRun) bool {
					return b.Family == "redis" && b.Round == r.Round && b.Shape == r.Shape && b.Conns == r.Conns && b.Err == ""
				}); i >= 0 && runs[i].P99 > 0 {
					rP99 = append(rP99, float64(r.P99)/float64(runs[i].P99))
				}
			}
		}
		s.Rounds = len(good)
		if len(good) > 0 {
			med := func(f func(EventRun) float64) float64 {
				vs := make([]float64, len(good))
				for i, r := range good {
					vs[i] = f(r)
				}
				return medianOf(vs)
			}
			d := func(f func(EventRun) time.Duration) time.Duration {
				return time.Duration(med(func(r EventRun) float64 { return float64(f(r)) }))
			}
			s.Rate = med(func(r EventRun) float64 { return r.Rate })
			s.CPUPerReq = med(func(r EventRun) float64 { return r.CPUPerReq })
			s.MemPerConn = med(func(r EventRun) float64 { return r.MemPerConn })
			s.P50, s.P99, s.Max = d(func(r EventRun) time.Duration { return r.P50 }), d(func(r EventRun) time.Duration { return r.P99 }), d(func(r EventRun) time.Duration { return r.Max })
			s.Threads = int(med(func(r EventRun) float64 { return float64(r.Threads) }) + 0.5)
			s.Fewest = int64(med(func(r EventRun) float64 { return float64(r.Fewest) }))
			s.Median = int64(med(func(r EventRun) float64 { return float64(r.Median) }))
			s.Most = int64(med(func(r EventRun) float64 { return float64(r.Most) }))
			s.RateRatio, s.CPURatio = medianOf(rateR), medianOf(cpuR)
			s.RedisRate, s.RedisP99, s.RedisCPU = medianOf(rRate), medianOf(rP99), medianOf(rCPU)
			s.Syscalls = med(func(r EventRun) float64 { return r.Syscalls })
			s.Wakeups = med(func(r EventRun) float64 { return r.Wakeups })
			if slices.ContainsFunc(good, func(r EventRun) bool { return r.Syscalls < 0 }) {
				s.Syscalls, s.Wakeups = -1, -1
			}
		}
		out = append(out, s)
	}
	return out
}

// perReq writes a count per request, or a dash where there is none.
func perReq(v float64) string {
	if v < 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

// kib writes a memory figure per connection.
func kib(b float64) string {
	if b < 1024 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f KiB", b/1024)
}

// WriteEventSummary writes the medians as Markdown tables: one for the
// shapes with traffic, one for idle memory.
func WriteEventSummary(w io.Writer, ss []EventSummary) error {
	failed := func(s EventSummary) string {
		if len(s.Failed) == 0 {
			return ""
		}
		return fmt.Sprintf(" (%d failed: %s)", len(s.Failed), md(strings.Join(s.Failed, "; ")))
	}
	isRESP := func(s EventSummary) bool { return strings.HasPrefix(s.Shape, EventRESP+" ") }
	row := func(cells []string) error {
		_, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		return err
	}
	tables := 0
	if slices.ContainsFunc(ss, isRESP) {
		tables++
		fmt.Fprintln(w, "| shape | clients | server | req/s | × redis | × net | p50 | p99 | × redis p99 | max | CPU µs/req | × redis CPU | × net CPU | threads |")
		fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, s := range ss {
			if !isRESP(s) {
				continue
			}
			cells := []string{s.Shape, fmt.Sprint(s.Conns), s.Server}
			if s.Rounds == 0 {
				cells = append(cells, "failed: "+md(strings.Join(s.Failed, "; ")))
			} else {
				cells = append(cells, rate(s.Rate), ratio(s.RedisRate), ratio(s.RateRatio), dur(s.P50), dur(s.P99), ratio(s.RedisP99), dur(s.Max),
					fmt.Sprintf("%.2f", s.CPUPerReq), ratio(s.RedisCPU), ratio(s.CPURatio), fmt.Sprint(s.Threads)+failed(s))
			}
			if err := row(cells); err != nil {
				return err
			}
		}
	}
	if slices.ContainsFunc(ss, func(s EventSummary) bool { return s.Shape == EventEcho }) {
		if tables++; tables > 1 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "| shape | conns | server | msg/s | × net | p50 | p99 | max | CPU µs/msg | × net CPU | threads | syscalls/msg | wake-ups/msg | msgs per conn min–median–max |")
		fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, s := range ss {
			if s.Shape != EventEcho {
				continue
			}
			cells := []string{s.Shape, fmt.Sprint(s.Conns), s.Server}
			if s.Rounds == 0 {
				cells = append(cells, "failed: "+md(strings.Join(s.Failed, "; ")))
			} else {
				cells = append(cells, rate(s.Rate), ratio(s.RateRatio), dur(s.P50), dur(s.P99), dur(s.Max),
					fmt.Sprintf("%.1f", s.CPUPerReq), ratio(s.CPURatio), fmt.Sprint(s.Threads), perReq(s.Syscalls), perReq(s.Wakeups),
					fairness(s.Fewest, s.Median, s.Most, 0)+failed(s))
			}
			if err := row(cells); err != nil {
				return err
			}
		}
	}
	traffic := tables > 0
	if slices.ContainsFunc(ss, func(s EventSummary) bool { return s.Shape == EventIdle }) {
		if traffic {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "| idle conns | server | memory per idle conn | × net | threads |")
		fmt.Fprintln(w, "|---:|---|---:|---:|---:|")
		for _, s := range ss {
			if s.Shape != EventIdle {
				continue
			}
			cells := []string{fmt.Sprint(s.Conns), s.Server}
			if s.Rounds == 0 {
				cells = append(cells, "failed: "+md(strings.Join(s.Failed, "; ")))
			} else {
				cells = append(cells, kib(s.MemPerConn), ratio(s.CPURatio), fmt.Sprint(s.Threads)+failed(s))
			}
			if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteEventRounds writes every run, in the order run, as a Markdown table.
func WriteEventRounds(w io.Writer, runs []EventRun) error {
	fmt.Fprintln(w, "| shape | conns | round | # | server | req/s | p50 | p99 | max | CPU µs/req | threads | per conn min–median–max | memory per idle conn |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		cells := []string{r.Shape, fmt.Sprint(r.Conns), fmt.Sprint(r.Round + 1), fmt.Sprint(r.Order + 1), r.Server}
		switch {
		case r.Err != "":
			cells = append(cells, "failed: "+md(firstLine(r.Err)))
		case r.Shape == EventIdle:
			cells = append(cells, "—", "—", "—", "—", "—", fmt.Sprint(r.Threads), "—", kib(r.MemPerConn))
		default:
			cells = append(cells, rate(r.Rate), dur(r.P50), dur(r.P99), dur(r.Max), fmt.Sprintf("%.2f", r.CPUPerReq), fmt.Sprint(r.Threads),
				fairness(r.Fewest, r.Median, r.Most, 0), "—")
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}
