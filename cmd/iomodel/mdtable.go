//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// termWidth is the width of the tool's default tables and text.
const termWidth = 120

// lessNeeded are the columns a narrow table leaves out first, in this
// order; after them, the rightmost.
// (Errors stay: a run with errors is not a measurement.)
var lessNeeded = []string{"#", "round", "max", "msg max", "msgs/conn", "rtt p99", "req/conn min–median–max", "× net p99", "p99.9", "× redis p99", "× redis CPU", "× net CPU",
	"threads", "per conn min–median–max", "msgs per conn min–median–max"}

// loadFormats are load's -format values.
var loadFormats = []string{"table", "wide", "markdown", "json"}

// textOutput is where load writes its report in format: a textWriter on w
// for table (termWidth columns) and wide (every column); nil to write the
// Markdown or JSON as it is.
func textOutput(format string, w io.Writer) *textWriter {
	switch format {
	case "table":
		return &textWriter{w: w, width: termWidth}
	case "wide":
		return &textWriter{w: w}
	}
	return nil
}

// textWriter turns the Markdown that load writes into what a terminal
// shows: each table aligned in columns, no wider than width (0: every
// column, -format wide), the columns left out named under it; prose
// wrapped at width. It works line by line, so each part shows as soon as
// it is written; Close writes what is left.
type textWriter struct {
	w     io.Writer
	width int
	part  []byte
	table [][]string
	err   error
}

func (t *textWriter) Write(p []byte) (int, error) {
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	return len(p), t.err
}

// Close writes the table or line still held.
func (t *textWriter) Close() error {
	if len(t.part) > 0 {
		t.line(string(t.part))
		t.part = nil
	}
	t.flushTable()
	return t.err
}

func (t *textWriter) line(l string) {
	if strings.HasPrefix(l, "|") {
		t.table = append(t.table, mdCells(l))
		return
	}
	t.flushTable()
	t.print(wrap(l, t.width))
}

func (t *textWriter) print(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s)
	}
}

func (t *textWriter) flushTable() {
	if len(t.table) > 0 {
		t.print(alignTable(t.table, t.width))
		t.table = nil
	}
}

// mdCells splits a Markdown table row into its cells, unescaping \|.
func mdCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			b.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// alignTable writes rows (a Markdown table: header, alignment row, body)
// aligned, text columns to the left, figures to the right, leaving out
// columns (lessNeeded first, then the rightmost, never the first) until
// it fits width; 0 keeps every one. A row's last cell (a failure's
// reason, a note after the figures) runs on without widening its column.
func alignTable(rows [][]string, width int) string {
	if len(rows) < 2 {
		return ""
	}
	head, align, body := rows[0], rows[1], rows[2:]
	n := len(head)
	for i, r := range body { // a row with empty cells after its reason ends at the reason
		for len(r) > 1 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		body[i] = r
	}
	right := make([]bool, n)
	for i := range n {
		right[i] = i < len(align) && strings.HasSuffix(align[i], ":")
	}
	colWidth := func(i int) int {
		w := utf8.RuneCountInString(head[i])
		for _, r := range body {
			if i < len(r)-1 { // a row's last cell may run on: no column after it
				w = max(w, utf8.RuneCountInString(r[i]))
			}
		}
		return w
	}
	const gap = 2
	keep := make([]bool, n)
	total := -gap
	for i := range n {
		keep[i] = true
		total += colWidth(i) + gap
	}
	var dropped []string
	drop := func(i int) {
		keep[i] = false
		total -= colWidth(i) + gap
		dropped = append(dropped, head[i])
	}
	for _, name := range lessNeeded {
		if i := slices.Index(head, name); width > 0 && total > width && i > 0 {
			drop(i)
		}
	}
	for i := n - 1; width > 0 && total > width && i > 0; i-- {
		if keep[i] {
			drop(i)
		}
	}
	var b strings.Builder
	writeRow := func(r []string) {
		var cells []string
		for i := range n {
			if !keep[i] {
				continue
			}
			c := ""
			if i < len(r) {
				c = r[i]
			}
			pad := strings.Repeat(" ", max(0, colWidth(i)-utf8.RuneCountInString(c)))
			if right[i] {
				cells = append(cells, pad+c)
			} else {
				cells = append(cells, c+pad)
			}
		}
		// A short row (a failure) says the rest in its last cell.
		if len(r) < n && len(r) > 0 && !keep[len(r)-1] {
			cells = append(cells, r[len(r)-1])
		}
		b.WriteString(strings.TrimRight(strings.Join(cells, strings.Repeat(" ", gap)), " ") + "\n")
	}
	writeRow(head)
	for _, r := range body {
		writeRow(r)
	}
	if len(dropped) > 0 {
		slices.SortFunc(dropped, func(a, b string) int { return slices.Index(head, a) - slices.Index(head, b) })
		b.WriteString(wrap(fmt.Sprintf("(left out to fit %d columns: %s; -format wide or markdown shows them)", width, strings.Join(dropped, ", ")), width))
	}
	return b.String()
}

// wrap wraps a line of prose at width, keeping an indented line (a
// command) whole and indenting the later lines of a list item ("- ") or
// of a labelled line ("label:   text") under its text.
func wrap(l string, width int) string {
	if width <= 0 || utf8.RuneCountInString(l) <= width || strings.HasPrefix(l, "    ") {
		return l + "\n"
	}
	indent, words := "", strings.Fields(l)
	if strings.HasPrefix(l, "- ") {
		indent = "  "
	} else if label, _, ok := strings.Cut(l, ":  "); ok && !strings.Contains(label, " ") {
		text := len(l) - len(strings.TrimLeft(l[len(label)+1:], " "))
		if text < width/2 {
			indent, words = strings.Repeat(" ", text), append([]string{l[:text-1]}, strings.Fields(l[text:])...)
		}
	}
	var b strings.Builder
	n := 0
	for i, word := range words {
		w := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case n+1+w > width:
			b.WriteString("\n" + indent)
			n = len(indent)
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += w
	}
	return b.String() + "\n"
}
