//go:build linux

package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"

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
		{"Stream throughput (MB/s)", "higher is better", false, always(func(r bench.Result) float64 { return r.StreamMBps }), mbps},
		{"CPU time per message" + conns, "lower is better", true, always(func(r bench.Result) float64 { return r.CPUPerMsg }), micros},
		{"OS threads" + conns, "lower is better", true, always(func(r bench.Result) float64 { return float64(r.Threads) }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"System calls per message" + conns, "lower is better", true, counted(func(r bench.Result) *float64 { return r.SyscallsPerMsg }), one},
		{"Wake-ups per message" + conns, "lower is better", true, counted(func(r bench.Result) *float64 { return r.WakeupsPerMsg }), one},
		{"Idle CPU (% of one CPU)", "lower is better", false, always(func(r bench.Result) float64 { return r.IdleCPU }), func(v float64) string { return fmt.Sprintf("%.1f%%", v) }},
		{"OS threads while idle", "lower is better", false, always(func(r bench.Result) float64 { return float64(r.IdleThreads) }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
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

// Layout of the SVG, in pixels.
const (
	svgWidth = 1000
	colW     = 480 // a panel
	gap      = 20  // between panels
	labelW   = 170 // bar panels: the names column
	valueW   = 70  // bar panels: room for the figure after the longest bar
	barH     = 16
	rowH     = 22
	headH    = 44 // a panel's title
	topH     = 104
	margin   = 10
	barArea  = colW - labelW - valueW - 10
	lineH    = 250 // line panels: the plot's height
)

// SVG writes a chart of rs: one small chart per figure, two to a row, under
// a heading saying what was measured (setup). A figure measured once per
// model is a bar chart with net.Conn's value dashed across it; a figure of
// the many-connection run, when there were several connection counts, is a
// line per model across the counts.
func SVG(w io.Writer, setup string, rs []bench.Result) error {
	many := manyConns(rs)
	conns := ""
	if !many && len(rs) > 0 {
		conns = fmt.Sprintf(", %d conns", rs[0].Conns)
	}
	ps := panels(conns)

	// The rows of a bar panel: every result for per-run figures, one per
	// model for the others.
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
	lines := func(p panel) bool { return p.perRun && many }
	panelH := func(p panel) int {
		if lines(p) {
			return headH + lineH + 40
		}
		return headH + rowH*len(rowsOf(p)) + 10
	}
	rowH2 := func(i int) int {
		h := panelH(ps[i])
		if i+1 < len(ps) {
			h = max(h, panelH(ps[i+1]))
		}
		return h
	}
	height := topH + 44
	for i := 0; i < len(ps); i += 2 {
		height += rowH2(i) + gap
	}

	bw := bufio.NewWriter(w)
	e := html.EscapeString
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="100%%" height="100%%" fill="#ffffff"/>
<text x="%d" y="32" font-size="22" font-weight="bold" fill="#222">The I/O models of UNP chapter 6, beside net.Conn</text>
<text x="%d" y="52" font-size="12" fill="#555">%s</text>
`, svgWidth, height, svgWidth, height, margin+10, margin+10, e(setup))
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
		if i%2 == 0 && i > 0 {
			y += rowH2(i-2) + gap
		}
		fmt.Fprintf(bw, `<g transform="translate(%d,%d)">
<rect width="%d" height="%d" rx="6" fill="#f7f7f7" stroke="#e0e0e0"/>
<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">%s</text>
<text x="%d" y="22" font-size="11" fill="#777" text-anchor="end">%s</text>
`, margin+(i%2)*(colW+gap), y, colW, panelH(p), e(p.title), colW-12, e(p.better))
		if lines(p) {
			linePanel(bw, p, rs)
		} else {
			barPanel(bw, p, rowsOf(p), p.perRun && many)
		}
		fmt.Fprintln(bw, `</g>`)
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#777">Each model's client, in a process of its own, against the same echo peer (the net package, in another) over TCP loopback.</text>
<text x="%d" y="%d" font-size="11" fill="#777">Per-message figures are over the many-connection run; idle, as many connections each wait in Recv for nothing. The dashed line marks net.Conn.</text>
</svg>
`, margin+10, height-26, margin+10, height-10)
	return bw.Flush()
}

// barPanel draws one bar per row, and net.Conn's value as a dashed line.
func barPanel(bw *bufio.Writer, p panel, rows []bench.Result, withConns bool) {
	e := html.EscapeString
	name := func(r bench.Result) string {
		if withConns {
			return fmt.Sprintf("%s ×%d", r.Model, r.Conns)
		}
		return r.Model
	}
	top := 0.0
	for _, r := range rows {
		if v, ok := p.value(r); ok && r.OK() {
			top = max(top, v)
		}
	}
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
`, labelW-8, ry+barH-4, e(name(r)))
		v, ok := p.value(r)
		switch {
		case !r.OK():
			fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#999" font-style="italic">%s</text>
`, labelW, ry+barH-4, e(shorten(status(r), 52)))
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
`, labelW, ry, max(l, 1), barH, colour(r.Family), e(name(r)), e(p.label(v)), float64(labelW)+max(l, 1)+5, ry+barH-4, e(p.label(v)))
		}
	}
}

// linePanel draws, for each model, its figure across the connection counts
// (spaced evenly, in the order given), labelled at the line's end.
func linePanel(bw *bufio.Writer, p panel, rs []bench.Result) {
	e := html.EscapeString
	const (
		left   = 58
		right  = colW - 140 // then the names
		top    = headH + 6
		bottom = headH + lineH
	)
	var counts []int
	var names []string
	top0 := 0.0
	for _, r := range rs {
		if !slices.Contains(counts, r.Conns) {
			counts = append(counts, r.Conns)
		}
		if !slices.Contains(names, r.Model) {
			names = append(names, r.Model)
		}
		if v, ok := p.value(r); ok && r.OK() {
			top0 = max(top0, v)
		}
	}
	// A round step for the grid, and the axis up to the first step
	// above every value.
	step := niceStep(top0 / 4)
	ticks := max(1, int(math.Ceil(top0/step)))
	top0 = float64(ticks) * step
	xOf := func(i int) float64 {
		if len(counts) == 1 {
			return (left + right) / 2
		}
		return left + float64(i)*float64(right-left)/float64(len(counts)-1)
	}
	yOf := func(v float64) float64 { return bottom - v/top0*(bottom-top) }
	// Grid and axes.
	for k := 0; k <= ticks; k++ {
		v := step * float64(k)
		fmt.Fprintf(bw, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e3e3"/><text x="%d" y="%.1f" font-size="10" fill="#888" text-anchor="end">%s</text>
`, left, yOf(v), right, yOf(v), left-6, yOf(v)+3, e(p.label(v)))
	}
	for i, n := range counts {
		fmt.Fprintf(bw, `<text x="%.1f" y="%d" font-size="11" fill="#555" text-anchor="middle">%d</text>
`, xOf(i), bottom+16, n)
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#777" text-anchor="middle">connections</text>
`, (left+right)/2, bottom+32)
	// One line per model; variants of a family get their own dashes.
	type end struct {
		name, colour string
		y            float64
	}
	var ends []end
	variant := map[string]int{}
	for _, name := range names {
		var pts []string
		var last float64
		var fam string
		for _, r := range rs {
			v, ok := p.value(r)
			if r.Model != name || !ok || !r.OK() {
				continue
			}
			fam = r.Family
			x, y := xOf(slices.Index(counts, r.Conns)), yOf(v)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			fmt.Fprintf(bw, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s ×%d: %s</title></circle>
`, x, y, colour(fam), e(name), r.Conns, e(p.label(v)))
			last = y
		}
		if len(pts) == 0 {
			continue
		}
		dash := []string{"", ` stroke-dasharray="6,3"`, ` stroke-dasharray="2,3"`}[variant[fam]%3]
		variant[fam]++
		fmt.Fprintf(bw, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>
`, strings.Join(pts, " "), colour(fam), dash)
		ends = append(ends, end{name, colour(fam), last})
	}
	// Names at the lines' ends, pushed apart so that they do not overlap.
	slices.SortFunc(ends, func(a, b end) int { return cmpf(a.y, b.y) })
	for i := range ends {
		if i > 0 && ends[i].y < ends[i-1].y+12 {
			ends[i].y = ends[i-1].y + 12
		}
	}
	// Then back up from the bottom, if they ran past it.
	for i := len(ends) - 1; i >= 0; i-- {
		limit := float64(bottom)
		if i < len(ends)-1 {
			limit = ends[i+1].y - 12
		}
		ends[i].y = min(ends[i].y, limit)
	}
	for _, en := range ends {
		fmt.Fprintf(bw, `<text x="%d" y="%.1f" font-size="11" fill="%s">%s</text>
`, right+8, en.y+4, en.colour, e(en.name))
	}
}

// niceStep is the smallest of 1, 2, 2.5 and 5 times a power of ten that is
// at least raw (1 for raw ≤ 0).
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			return f * mag
		}
	}
	return 10 * mag
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
