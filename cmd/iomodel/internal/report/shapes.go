//go:build linux

package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Shape is one model in one shape, measured as a server: the tool's
// no-argument comparison puts the goroutine shape ("conn") and the loop
// shape ("loop") of every model side by side, beside net's server.
type Shape struct {
	Model  string `json:"model"`
	Family string `json:"family"`
	Shape  string `json:"shape"` // "conn" or "loop"; "" for net
	// Err says why there are no figures.
	Err string `json:"error,omitempty"`

	Conns      int     `json:"conns"`
	MsgsPerSec float64 `json:"msgs_s"`
	P50        float64 `json:"p50_us"`
	P99        float64 `json:"p99_us"`
	CPUPerMsg  float64 `json:"cpu_us_per_msg"`
	Threads    int     `json:"threads"`
	// SyscallsPerMsg and WakeupsPerMsg are nil where the server keeps no
	// counts (net).
	SyscallsPerMsg *float64 `json:"syscalls_per_msg"`
	WakeupsPerMsg  *float64 `json:"wakeups_per_msg"`
	IdleConns      int      `json:"idle_conns"`
	IdleBytes      float64  `json:"idle_bytes_per_conn"`
}

// Name is how the table and the chart name s.
func (s Shape) Name() string {
	if s.Shape == "" {
		return s.Model
	}
	return s.Model + " " + s.Shape
}

// ShapesLegend says what the both-shapes table shows.
const ShapesLegend = `Each model serves as a server in a process of its own, in both shapes: "conn", a goroutine per
connection on the model's Conn; "loop", the model's engine calling a handler back. A client in
another process (package net) runs the echo, then holds the idle connections open. msg/s, p50,
p99: 64-byte round trips, each connection a closed loop (the client caps the rate on 2 CPUs); CPU,
threads: the server's (/proc/PID/stat); syscalls and wake-ups per message: the server's own
counts (Conn Stats and the model's poller, signals or ring; EngineStats reads, writes and loop
wake-ups: async's are ring operations); idle: the server's resident memory grown per connection
held open after the echo run. net keeps no counts.
`

// ShapesTable writes rows as an aligned table of at most 120 columns.
func ShapesTable(w io.Writer, rows []Shape) error {
	heads := []string{"server", "msg/s", "p50", "p99", "CPU/msg", "threads", "syscalls/msg", "wake-ups/msg", "idle/conn"}
	cells := func(s Shape) []string {
		return []string{s.Name(), rate(s.MsgsPerSec), micros(s.P50), micros(s.P99), micros(s.CPUPerMsg),
			fmt.Sprint(s.Threads), perMsg(s.SyscallsPerMsg), perMsg(s.WakeupsPerMsg), bytesPer(s.IdleBytes)}
	}
	width := make([]int, len(heads))
	for i, h := range heads {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		c := cells(r)
		for i := range c {
			if i == 0 || r.Err == "" {
				width[i] = max(width[i], utf8.RuneCountInString(c[i]))
			}
		}
	}
	line := func(c []string) string {
		var b strings.Builder
		for i, s := range c {
			pad := strings.Repeat(" ", max(0, width[i]-utf8.RuneCountInString(s)))
			if i == 0 {
				b.WriteString(s + pad)
			} else {
				b.WriteString("  " + pad + s)
			}
		}
		return b.String()
	}
	fmt.Fprintln(w, line(heads))
	for _, r := range rows {
		var err error
		if r.Err != "" {
			_, err = fmt.Fprintf(w, "%s%s  failed: %s\n", r.Name(), strings.Repeat(" ", max(0, width[0]-utf8.RuneCountInString(r.Name()))), shorten(r.Err, 100-width[0]))
		} else {
			_, err = fmt.Fprintln(w, line(cells(r)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ShapesMarkdown writes rows as a GitHub table.
func ShapesMarkdown(w io.Writer, rows []Shape) error {
	fmt.Fprintln(w, "| server | msg/s | p50 | p99 | CPU/msg | threads | syscalls/msg | wake-ups/msg | idle/conn |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range rows {
		c := []string{s.Name(), rate(s.MsgsPerSec), micros(s.P50), micros(s.P99), micros(s.CPUPerMsg),
			fmt.Sprint(s.Threads), perMsg(s.SyscallsPerMsg), perMsg(s.WakeupsPerMsg), bytesPer(s.IdleBytes)}
		if s.Err != "" {
			c = []string{s.Name(), "failed: " + strings.ReplaceAll(s.Err, "|", `\|`)}
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | ")); err != nil {
			return err
		}
	}
	return nil
}

// ShapesJSON writes rows, with what and where they were measured.
func ShapesJSON(w io.Writer, setup map[string]any, rows []Shape) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(map[string]any{"setup": setup, "results": rows})
}

func bytesPer(b float64) string {
	if b < 1024 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f KiB", b/1024)
}

// ShapesSVG draws rows: one panel per figure, in each a row per model
// with its two shapes' bars side by side (conn solid, loop hatched
// lighter), net's value dashed across.
func ShapesSVG(w io.Writer, setup string, rows []Shape) error {
	type fig struct {
		title, better string
		value         func(Shape) (float64, bool)
		label         func(float64) string
	}
	plain := func(f func(Shape) float64) func(Shape) (float64, bool) {
		return func(s Shape) (float64, bool) { return f(s), true }
	}
	counted := func(f func(Shape) *float64) func(Shape) (float64, bool) {
		return func(s Shape) (float64, bool) {
			if v := f(s); v != nil {
				return *v, true
			}
			return 0, false
		}
	}
	one := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	figs := []fig{
		{"Messages per second", "higher is better", plain(func(s Shape) float64 { return s.MsgsPerSec }), rate},
		{"CPU time per message (server)", "lower is better", plain(func(s Shape) float64 { return s.CPUPerMsg }), micros},
		{"Round trip, median", "lower is better", plain(func(s Shape) float64 { return s.P50 }), micros},
		{"Round trip, 99th percentile", "lower is better", plain(func(s Shape) float64 { return s.P99 }), micros},
		{"System calls per message", "lower is better", counted(func(s Shape) *float64 { return s.SyscallsPerMsg }), one},
		{"Wake-ups per message", "lower is better", counted(func(s Shape) *float64 { return s.WakeupsPerMsg }), one},
		{"OS threads (server)", "lower is better", plain(func(s Shape) float64 { return float64(s.Threads) }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"Memory per idle connection", "lower is better", plain(func(s Shape) float64 { return s.IdleBytes }), bytesPer},
	}
	var modelsSeen []string
	for _, r := range rows {
		if !slices.Contains(modelsSeen, r.Model) {
			modelsSeen = append(modelsSeen, r.Model)
		}
	}
	const (
		pw, lw, vw, bh = 480, 130, 70, 11
		rowH           = 2*bh + 8
		head           = 40
	)
	ph := head + rowH*len(modelsSeen) + 10
	height := 110 + ((len(figs)+1)/2)*(ph+20) + 30
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="%d" viewBox="0 0 1000 %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="100%%" height="100%%" fill="#ffffff"/>
<text x="20" y="32" font-size="22" font-weight="bold" fill="#222">The I/O models of UNP chapter 6, in both shapes, beside net</text>
<text x="20" y="52" font-size="12" fill="#555">%s</text>
<rect x="20" y="66" width="14" height="10" fill="#888"/><text x="40" y="76" font-size="12" fill="#333">conn: a goroutine per connection on the model's Conn</text>
<rect x="380" y="66" width="14" height="10" fill="#888" fill-opacity="0.45" stroke="#888"/><text x="400" y="76" font-size="12" fill="#333">loop: the model's engine calling a handler back</text>
`, height, height, e(setup))
	for i, f := range figs {
		x, y := 10+(i%2)*(pw+20), 100+(i/2)*(ph+20)
		top := 0.0
		for _, r := range rows {
			if v, ok := f.value(r); ok && r.Err == "" {
				top = max(top, v)
			}
		}
		fmt.Fprintf(bw, `<g transform="translate(%d,%d)">
<rect width="%d" height="%d" rx="6" fill="#f7f7f7" stroke="#e0e0e0"/>
<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">%s</text>
<text x="%d" y="22" font-size="11" fill="#777" text-anchor="end">%s</text>
`, x, y, pw, ph, e(f.title), pw-12, e(f.better))
		barArea := float64(pw - lw - vw - 10)
		for j, m := range modelsSeen {
			ry := head + j*rowH
			fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="12" fill="#333" text-anchor="end">%s</text>
`, lw-8, ry+bh+4, e(m))
			k := 0
			for _, r := range rows {
				if r.Model != m {
					continue
				}
				by := ry + k*(bh+2)
				k++
				v, ok := f.value(r)
				if r.Err != "" || !ok {
					msg := "not counted"
					if r.Err != "" {
						msg = "failed"
					}
					fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="10" fill="#999" font-style="italic">%s: %s</text>
`, lw, by+bh-1, e(r.Shape), msg)
					continue
				}
				l := 0.0
				if top > 0 {
					l = v / top * barArea
				}
				opacity := "1"
				if r.Shape == "loop" {
					opacity = "0.45"
				}
				fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="2" fill="%s" fill-opacity="%s" stroke="%s"><title>%s: %s</title></rect>
<text x="%.1f" y="%d" font-size="10" fill="#333">%s</text>
`, lw, by, max(l, 1), bh, colour(r.Family), opacity, colour(r.Family), e(r.Name()), e(f.label(v)), float64(lw)+max(l, 1)+5, by+bh-1, e(f.label(v)))
			}
		}
		fmt.Fprintln(bw, `</g>`)
	}
	fmt.Fprintf(bw, `<text x="20" y="%d" font-size="11" fill="#777">Each server in a process of its own; a client on package net in another; TCP loopback. CPU, threads and memory are the server's.</text>
</svg>
`, height-12)
	return bw.Flush()
}
