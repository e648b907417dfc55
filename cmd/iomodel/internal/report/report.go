//go:build linux

package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
)

// Formats are the names Write accepts.
var Formats = []string{"table", "csv", "json", "markdown"}

// Write writes rs in format: "table" (with readings), "csv", "json" or
// "markdown".
func Write(w io.Writer, format string, rs []bench.Result) error {
	switch format {
	case "table":
		if err := Table(w, rs); err != nil {
			return err
		}
		if err := Readings(w, rs); err != nil {
			return err
		}
		_, err := fmt.Fprint(w, "\n", Legend)
		return err
	case "csv":
		return CSV(w, rs)
	case "json":
		return JSON(w, rs)
	case "markdown", "md":
		return Markdown(w, rs)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// column is one figure of a Result as the table and Markdown show it.
type column struct {
	head string
	cell func(bench.Result) string
}

func columns(rs []bench.Result) []column {
	cols := []column{{"model", func(r bench.Result) string { return r.Model }}}
	if manyConns(rs) {
		cols = append(cols, column{"conns", func(r bench.Result) string { return strconv.Itoa(r.Conns) }})
	}
	conns := "msg/s"
	if !manyConns(rs) && len(rs) > 0 {
		conns = fmt.Sprintf("%d-conn msg/s", rs[0].Conns)
	}
	return append(cols,
		column{"rtt p50", func(r bench.Result) string { return micros(r.RTTP50) }},
		column{"rtt p99", func(r bench.Result) string { return micros(r.RTTP99) }},
		column{"stream", func(r bench.Result) string { return mbps(r.StreamMBps) + " MB/s" }},
		column{conns, func(r bench.Result) string { return rate(r.MsgsPerSec) }},
		column{"msg p50", func(r bench.Result) string { return measured(r, micros(r.MsgP50)) }},
		column{"msg p99", func(r bench.Result) string { return measured(r, micros(r.MsgP99)) }},
		column{"msg max", func(r bench.Result) string { return measured(r, micros(r.MsgMax)) }},
		column{"msgs/conn", func(r bench.Result) string {
			return measured(r, fmt.Sprintf("%d–%d", r.MinMsgsPerConn, r.MaxMsgsPerConn))
		}},
		column{"CPU/msg", func(r bench.Result) string { return micros(r.CPUPerMsg) }},
		column{"threads", func(r bench.Result) string { return strconv.Itoa(r.Threads) }},
		column{"syscalls/msg", func(r bench.Result) string { return perMsg(r.SyscallsPerMsg) }},
		column{"wake-ups/msg", func(r bench.Result) string { return perMsg(r.WakeupsPerMsg) }},
		column{"idle CPU", func(r bench.Result) string { return fmt.Sprintf("%.1f%%", r.IdleCPU) }},
	)
}

// measured is s, or a dash for results saved by an iomodel that did not
// measure per-message latency and fairness.
func measured(r bench.Result, s string) string {
	if r.MsgMax == 0 {
		return "—"
	}
	return s
}

func manyConns(rs []bench.Result) bool {
	for _, r := range rs {
		if r.Conns != rs[0].Conns {
			return true
		}
	}
	return false
}

// status is what stands in a row instead of numbers.
func status(r bench.Result) string {
	if r.Unavailable != "" {
		reason := r.Unavailable
		// "io_uring unavailable: why" reads better without its heading.
		if before, after, ok := strings.Cut(reason, "unavailable: "); ok && len(before) < 30 {
			reason = after
		}
		return "unavailable: " + reason
	}
	return "failed: " + r.Error
}

// Table writes rs as an aligned table: names to the left, figures to the
// right. A row without figures says why in their place, widening no column.
func Table(w io.Writer, rs []bench.Result) error {
	const gap = "   "
	cols := columns(rs)
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = utf8.RuneCountInString(c.head)
		for _, r := range rs {
			if i == 0 || r.OK() {
				width[i] = max(width[i], utf8.RuneCountInString(c.cell(r)))
			}
		}
	}
	pad := func(s string, n int) string { return strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s))) }
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			if i == 0 {
				b.WriteString(c + pad(c, width[0]))
			} else {
				b.WriteString(gap + pad(c, width[i]) + c)
			}
		}
		return b.String()
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	fmt.Fprintln(w, line(heads))
	for _, r := range rs {
		var err error
		if r.OK() {
			cells := make([]string, len(cols))
			for i, c := range cols {
				cells[i] = c.cell(r)
			}
			_, err = fmt.Fprintln(w, line(cells))
		} else {
			_, err = fmt.Fprintln(w, r.Model+pad(r.Model, width[0])+gap+status(r))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Markdown writes rs as a GitHub table, status rows spanning the figures.
func Markdown(w io.Writer, rs []bench.Result) error {
	cols := columns(rs)
	heads := make([]string, len(cols))
	align := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
		align[i] = "---:"
	}
	align[0] = "---"
	fmt.Fprintf(w, "| %s |\n|%s|\n", strings.Join(heads, " | "), strings.Join(align, "|"))
	for _, r := range rs {
		cells := make([]string, len(cols))
		if !r.OK() {
			cells[0], cells[1] = r.Model, strings.ReplaceAll(status(r), "|", `\|`)
		} else {
			for i, c := range cols {
				cells[i] = c.cell(r)
			}
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}

// JSON writes rs as an indented JSON array of bench.Result.
func JSON(w io.Writer, rs []bench.Result) error {
	if rs == nil {
		rs = []bench.Result{}
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(rs)
}

// CSVHeader is the first record of CSV.
var CSVHeader = []string{
	"model", "family", "status", "run_s", "message_bytes", "rtt_p50_us", "rtt_p99_us", "round_trips",
	"stream_chunk_bytes", "stream_mb_s", "conns", "msgs_s", "cpu_us_per_msg", "threads",
	"syscalls_per_msg", "wakeups_per_msg", "eagains_per_msg", "ctx_switches_per_msg",
	"idle_conns", "idle_cpu_pct", "idle_threads",
	"msg_p50_us", "msg_p99_us", "msg_max_us", "min_msgs_per_conn", "max_msgs_per_conn",
}

// CSV writes rs with CSVHeader, plain numbers (empty when not counted), and
// status "ok" or the reason there are no numbers.
func CSV(w io.Writer, rs []bench.Result) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	p := func(v *float64) string {
		if v == nil {
			return ""
		}
		return f(*v)
	}
	for _, r := range rs {
		st := "ok"
		if !r.OK() {
			st = status(r)
		}
		cw.Write([]string{
			r.Model, r.Family, st, f(r.RunSeconds), strconv.Itoa(r.Size), f(r.RTTP50), f(r.RTTP99), strconv.Itoa(r.RoundTrips),
			strconv.Itoa(r.Chunk), f(r.StreamMBps), strconv.Itoa(r.Conns), f(r.MsgsPerSec), f(r.CPUPerMsg), strconv.Itoa(r.Threads),
			p(r.SyscallsPerMsg), p(r.WakeupsPerMsg), p(r.EAGAINsPerMsg), f(r.CtxSwitchesPerMsg),
			strconv.Itoa(r.IdleConns), f(r.IdleCPU), strconv.Itoa(r.IdleThreads),
			f(r.MsgP50), f(r.MsgP99), f(r.MsgMax), strconv.FormatInt(r.MinMsgsPerConn, 10), strconv.FormatInt(r.MaxMsgsPerConn, 10),
		})
	}
	cw.Flush()
	return cw.Error()
}

func micros(us float64) string {
	switch {
	case us < 10:
		return fmt.Sprintf("%.1f µs", us)
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	default:
		return fmt.Sprintf("%.2f ms", us/1000)
	}
}

// mbps keeps two or three significant digits of a throughput.
func mbps(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.2f", v)
	case v < 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func perMsg(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", *v)
}

// baseline is the net.Conn result with the same connection count, if any.
func baseline(rs []bench.Result, r bench.Result) (bench.Result, bool) {
	i := slices.IndexFunc(rs, func(b bench.Result) bool { return b.Family == "net" && b.Conns == r.Conns && b.OK() })
	if i < 0 {
		return bench.Result{}, false
	}
	return rs[i], true
}
