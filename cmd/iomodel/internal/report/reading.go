//go:build linux

package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// Legend says how the table was measured, for the reader of Table.
const Legend = `rtt: one message and its echo on one connection (median, 99th percentile); stream: one connection
sending while it reads the echo back; the rest over the many-connection run, each connection a loop of
round trips: messages/s, the latency of one message across every connection (median, 99th
percentile, max), the fewest and most round trips one connection completed (fairness), CPU time
per message (getrusage, the whole client process), peak OS threads (/proc/self/status), and per
message the system calls (the Conns' Stats plus the model's poller, signal or ring calls) and the
times a call went to sleep (Stats Waits). net.Conn keeps no such counts.
idle CPU: the share of one CPU the process spends while as many connections wait in Recv for nothing.
`

// Readings writes one line per model under the table: what its numbers say,
// in plain words, and why the model behaves so. Results are in runs of one
// model, by growing connection count (as bench.Run makes them).
func Readings(w io.Writer, rs []bench.Result) error {
	fmt.Fprintln(w)
	width := 0
	for _, r := range rs {
		width = max(width, len(r.Model))
	}
	// One line per model: with several connection counts, the reading of
	// the largest, where the models differ most.
	for i, r := range rs {
		if slices.ContainsFunc(rs[i+1:], func(o bench.Result) bool { return o.Model == r.Model }) {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-*s  %s\n", width+1, r.Model+":", Reading(r, rs)); err != nil {
			return err
		}
	}
	return nil
}

// Reading is the plain-words line for r, read against the others in rs and
// against net.Conn with the same connection count: what the model does well,
// what it pays, and why.
func Reading(r bench.Result, rs []bench.Result) string {
	if r.Unavailable != "" {
		return "not measured: the kernel cannot run it here (the reason is in the table)."
	}
	if r.Error != "" {
		return "the measurement failed (the error is in the table)."
	}
	var goods, costs []string
	base, hasBase := baseline(rs, r)
	isBase := r.Family == "net"
	ok := okResults(rs)
	quickest := len(ok) > 1 && r.RTTP50 == slices.MinFunc(ok, func(a, b bench.Result) int { return cmpf(a.RTTP50, b.RTTP50) }).RTTP50

	switch x := r.MsgsPerSec / base.MsgsPerSec; {
	case isBase:
		goods = append(goods, fmt.Sprintf("the yardstick: %s messages/s over %d conns at %s of CPU each", rate(r.MsgsPerSec), r.Conns, micros(r.CPUPerMsg)))
	case !hasBase:
		goods = append(goods, fmt.Sprintf("%s messages/s over %d conns", rate(r.MsgsPerSec), r.Conns))
	case x >= 1.1:
		goods = append(goods, fmt.Sprintf("%.1f× net.Conn's messages/s over %d conns", x, r.Conns))
	case x <= 0.9:
		costs = append(costs, fmt.Sprintf("%.0f%% of net.Conn's messages/s over %d conns", 100*x, r.Conns))
	default:
		// Within the noise of a shared machine.
		goods = append(goods, fmt.Sprintf("about as many messages/s as net.Conn over %d conns", r.Conns))
	}
	if quickest {
		goods = append(goods, "the quickest round trip")
	}
	if r.RTTP50 > 0 && r.RTTP99 >= 10*r.RTTP50 {
		costs = append(costs, fmt.Sprintf("a long tail (p99 %.0f× p50)", r.RTTP99/r.RTTP50))
	}
	if hasBase && !isBase {
		switch c := r.CPUPerMsg / base.CPUPerMsg; {
		case c >= 1.25:
			costs = append(costs, fmt.Sprintf("%.1f× net.Conn's CPU per message", c))
		case c <= 0.8:
			goods = append(goods, fmt.Sprintf("%.0f%% of net.Conn's CPU per message", 100*c))
		}
	}
	// Threads: what the model needs beyond what net.Conn (or, without it,
	// the Go runtime's few) needs.
	floor := 10
	if hasBase {
		floor = base.Threads
	}
	switch extra := r.Threads - floor; {
	case isBase:
	case extra >= max(8, r.Conns/4):
		costs = append(costs, fmt.Sprintf("%d OS threads for %d conns", r.Threads, r.Conns))
	case r.Conns >= 50 && extra <= 4:
		goods = append(goods, fmt.Sprintf("only %d OS threads for %d conns", r.Threads, r.Conns))
	}
	if r.SyscallsPerMsg != nil && *r.SyscallsPerMsg < 1.5 {
		goods = append(goods, fmt.Sprintf("only %.1f system calls per message", *r.SyscallsPerMsg))
	}
	if r.IdleCPU >= 1 {
		costs = append(costs, fmt.Sprintf("%.0f%% of a CPU while %d conns sit idle", r.IdleCPU, r.IdleConns))
	}
	if r.EAGAINsPerMsg != nil && *r.EAGAINsPerMsg >= 1 {
		costs = append(costs, fmt.Sprintf("%.0f of its %.0f system calls per message wasted on EAGAIN", *r.EAGAINsPerMsg, *r.SyscallsPerMsg))
	}

	line := strings.Join(goods, ", ")
	if len(costs) > 0 {
		if line != "" {
			line += "; but "
		}
		line += strings.Join(costs, ", ")
	}
	if m, err := models.Lookup(r.Model); err == nil {
		line += " — " + m.Waits
	}
	return line + "."
}

func okResults(rs []bench.Result) []bench.Result {
	var ok []bench.Result
	for _, r := range rs {
		if r.OK() {
			ok = append(ok, r)
		}
	}
	return ok
}

func cmpf(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
