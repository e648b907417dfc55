// Package report writes benchmark results for people and for programs: an
// aligned table with a plain-words reading per model, CSV, JSON, Markdown,
// and an SVG chart.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
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
		column{"CPU/msg", func(r bench.Result) string { return micros(r.CPUPerMsg) }},
		column{"threads", func(r bench.Result) string { return strconv.Itoa(r.Threads) }},
		column{"syscalls/msg", func(r bench.Result) string { return perMsg(r.SyscallsPerMsg) }},
		column{"wake-ups/msg", func(r bench.Result) string { return perMsg(r.WakeupsPerMsg) }},
	)
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
// right.
func Table(w io.Writer, rs []bench.Result) error {
	cols := columns(rs)
	width := utf8.RuneCountInString(cols[0].head)
	for _, r := range rs {
		width = max(width, utf8.RuneCountInString(r.Model))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
	// Right alignment pads on the left, so the gap between columns is
	// written into each figure's cell, and the names are padded by hand.
	const gap = "   "
	tw := tabwriter.NewWriter(w, 0, 0, 0, ' ', tabwriter.AlignRight)
	var b strings.Builder
	for i, c := range cols {
		if i == 0 {
			b.WriteString(pad(c.head) + "\t")
		} else {
			b.WriteString(gap + c.head + "\t")
		}
	}
	fmt.Fprintln(tw, b.String())
	for _, r := range rs {
		b.Reset()
		if !r.OK() {
			// The status is the line's last cell, so it widens no column.
			fmt.Fprintf(&b, "%s\t%s%s", pad(r.Model), gap, status(r))
		} else {
			for i, c := range cols {
				if i == 0 {
					b.WriteString(pad(c.cell(r)) + "\t")
				} else {
					b.WriteString(gap + c.cell(r) + "\t")
				}
			}
		}
		fmt.Fprintln(tw, b.String())
	}
	return tw.Flush()
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
