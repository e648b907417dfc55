package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
)

// panel is one small bar chart of the SVG: one figure, one bar per model.
type panel struct {
	title  string
	better string // "lower is better" or "higher is better"
	perRun bool   // the figure depends on the connection count
	value  func(bench.Result) (float64, bool)
	label  func(float64) string
}

func panels(conns string) []panel {
	always := func(f func(bench.Result) float64) func(bench.Result) (float64, bool) {
		return func(r bench.Result) (float64, bool) { return f(r), true }
	}
	counted := func(f func(bench.Result) *float64) func(bench.Result) (float64, bool) {
		return func(r bench.Result) (float64, bool) {
			if v := f(r); v != nil {
				return *v, true
			}
			return 0, false
		}
	}
	one := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	return []panel{
		{"Round trip, median", "lower is better", false, always(func(r bench.Result) float64 { return r.RTTP50 }), micros},
		{"Round trip, 99th percentile", "lower is better", false, always(func(r bench.Result) float64 { return r.RTTP99 }), micros},
		{"Messages per second" + conns, "higher is better", true, always(func(r bench.Result) float64 { return r.MsgsPerSec }), rate},
		{"Stream throughput (MB/s)", "higher is better", false, always(func(r bench.Result) float64 { return r.StreamMBps }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"CPU time per message" + conns, "lower is better", true, always(func(r bench.Result) float64 { return r.CPUPerMsg }), micros},
		{"OS threads" + conns, "lower is better", true, always(func(r bench.Result) float64 { return float64(r.Threads) }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"System calls per message" + conns, "lower is better", true, counted(func(r bench.Result) *float64 { return r.SyscallsPerMsg }), one},
		{"Wake-ups per message" + conns, "lower is better", true, counted(func(r bench.Result) *float64 { return r.WakeupsPerMsg }), one},
	}
}

// palette gives each family its colour; net.Conn, the yardstick, is grey.
var palette = map[string]string{
	"blocking":  "#4e79a7",
	"nonblock":  "#f28e2b",
	"multiplex": "#59a14f",
	"sigdriven": "#b07aa1",
	"async":     "#e15759",
	"net":       "#9d9d9d",
}

func colour(family string) string {
	if c, ok := palette[family]; ok {
		return c
	}
	return "#76b7b2"
}

// SVG writes a chart of rs: one small bar chart per figure, two to a row,
// under a heading saying what was measured (setup). A dashed line in each
// chart marks net.Conn's figure.
func SVG(w io.Writer, setup string, rs []bench.Result) error {
	const (
		width   = 1000
		colW    = 480
		gap     = 20
		labelW  = 150
		valueW  = 70
		barH    = 16
		rowH    = 22
		headH   = 44
		topH    = 104
		margin  = 10
		barArea = colW - labelW - valueW - 10
	)
	many := manyConns(rs)
	conns := ""
	if !many && len(rs) > 0 {
		conns = fmt.Sprintf(", %d conns", rs[0].Conns)
	}
	ps := panels(conns)

	// The rows of a panel: every result for per-run figures, one per model
	// for the others.
	rowsOf := func(p panel) []bench.Result {
		if p.perRun {
			return rs
		}
		var out []bench.Result
		for _, r := range rs {
			if !slices.ContainsFunc(out, func(o bench.Result) bool { return o.Model == r.Model }) {
				out = append(out, r)
			}
		}
		return out
	}
	name := func(p panel, r bench.Result) string {
		if p.perRun && many {
			return fmt.Sprintf("%s ×%d", r.Model, r.Conns)
		}
		return r.Model
	}
	panelH := func(p panel) int { return headH + rowH*len(rowsOf(p)) + 10 }
	height := topH
	for i := 0; i < len(ps); i += 2 {
		h := panelH(ps[i])
		if i+1 < len(ps) {
			h = max(h, panelH(ps[i+1]))
		}
		height += h + gap
	}
	height += 44

	bw := bufio.NewWriter(w)
	e := html.EscapeString
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="100%%" height="100%%" fill="#ffffff"/>
<text x="%d" y="32" font-size="22" font-weight="bold" fill="#222">The I/O models of UNP chapter 6, beside net.Conn</text>
<text x="%d" y="52" font-size="12" fill="#555">%s</text>
`, width, height, width, height, margin+10, margin+10, e(setup))
	// Legend: one swatch per family present.
	x := margin + 10
	var seen []string
	for _, r := range rs {
		if slices.Contains(seen, r.Family) {
			continue
		}
		seen = append(seen, r.Family)
		label := r.Family
		if label == "net" {
			label = "net.Conn (baseline)"
		}
		fmt.Fprintf(bw, `<rect x="%d" y="68" width="14" height="14" rx="2" fill="%s"/><text x="%d" y="80" font-size="13" fill="#333">%s</text>
`, x, colour(r.Family), x+20, e(label))
		x += 30 + 8*len(label)
	}

	y := topH
	for i, p := range ps {
		px := margin + (i%2)*(colW+gap)
		if i%2 == 0 && i > 0 {
			h := panelH(ps[i-2])
			h = max(h, panelH(ps[i-1]))
			y += h + gap
		}
		rows := rowsOf(p)
		fmt.Fprintf(bw, `<g transform="translate(%d,%d)">
<rect width="%d" height="%d" rx="6" fill="#f7f7f7" stroke="#e0e0e0"/>
<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">%s</text>
<text x="%d" y="22" font-size="11" fill="#777" text-anchor="end">%s</text>
`, px, y, colW, panelH(p), e(p.title), colW-12, e(p.better))
		top := 0.0
		for _, r := range rows {
			if v, ok := p.value(r); ok && r.OK() {
				top = max(top, v)
			}
		}
		// net.Conn's figure, as a dashed line across the bars.
		if i := slices.IndexFunc(rows, func(r bench.Result) bool { return r.Family == "net" && r.OK() }); i >= 0 && top > 0 {
			if v, ok := p.value(rows[i]); ok {
				lx := float64(labelW) + v/top*barArea
				fmt.Fprintf(bw, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#aaa" stroke-width="1" stroke-dasharray="3,3"/>
`, lx, headH-6, lx, headH+rowH*len(rows)-4)
			}
		}
		for j, r := range rows {
			ry := headH + j*rowH
			fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="12" fill="#333" text-anchor="end">%s</text>
`, labelW-8, ry+barH-4, e(name(p, r)))
			v, ok := p.value(r)
			switch {
			case !r.OK():
				fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#999" font-style="italic">%s</text>
`, labelW, ry+barH-4, e(shorten(status(r), 60)))
			case !ok:
				fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#999" font-style="italic">not counted</text>
`, labelW, ry+barH-4)
			default:
				l := 0.0
				if top > 0 {
					l = v / top * barArea
				}
				fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="2" fill="%s"><title>%s: %s</title></rect>
<text x="%.1f" y="%d" font-size="11" fill="#333">%s</text>
`, labelW, ry, max(l, 1), barH, colour(r.Family), e(name(p, r)), e(p.label(v)), float64(labelW)+max(l, 1)+5, ry+barH-4, e(p.label(v)))
			}
		}
		fmt.Fprintln(bw, `</g>`)
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#777">Each model's client, in a process of its own, against the same echo peer (the net package, in another) over TCP loopback.</text>
<text x="%d" y="%d" font-size="11" fill="#777">Per-message figures are over the many-connection run. The dashed line marks net.Conn.</text>
</svg>
`, margin+10, height-26, margin+10, height-10)
	return bw.Flush()
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
