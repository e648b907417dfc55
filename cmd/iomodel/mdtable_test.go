//go:build linux

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
)

// loadReport is what load writes for two rounds of every event shape and
// the HTTP shapes on the longest server names, a failed run among them,
// through load's own table writers.
func loadReport(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("    iomodel load -models all -shapes all\n\n")
	b.WriteString(strings.Repeat("A long paragraph of prose that says what the figures mean. ", 8) + "\n\n")
	b.WriteString("- tcp-echo: " + strings.Repeat("what the shape is, ", 10) + "\n\n")
	servers := []struct{ name, family string }{{"redis", "redis"}, {"net", "net"}, {"sigdriven/precise conn", "sigdriven"}, {"multiplex/epoll loop", "multiplex"}}
	var runs []load.EventRun
	for round := range 2 {
		for i, s := range servers {
			for _, shape := range []string{"resp P16", "tcp-echo", "idle"} {
				if s.family == "redis" && shape != "resp P16" {
					continue
				}
				r := load.EventRun{Round: round, Order: i, Shape: shape, Conns: 10000, Server: s.name, Family: s.family,
					Rate: 123456.7, P50: 1234 * time.Microsecond, P99: 123456 * time.Microsecond, Max: 1234567 * time.Microsecond,
					CPUPerReq: 12.34, Threads: 123, Fewest: 1234, Median: 12345, Most: 123456, Syscalls: 2.07, Wakeups: 0.07, MemPerConn: 12345}
				if s.family == "sigdriven" && shape == "tcp-echo" && round == 1 {
					r.Err = "echo client: 10000 connect and 0 I/O errors, the first: dial tcp 127.0.0.1:40000: connect: connection refused | and more"
				}
				runs = append(runs, r)
			}
		}
	}
	b.WriteString("Every run:\n\n")
	if err := load.WriteEventRounds(&b, runs); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\nMedians:\n\n")
	if err := load.WriteEventSummary(&b, load.SummarizeEvents(runs)); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\nA row with empty cells after its reason:\n\n| model | rtt p50 | rtt p99 |\n|---|---:|---:|\n| async | unavailable: " + strings.Repeat("a long reason ", 12) + " |  |\n| net | 12 µs | 34 µs |\n")
	var http []load.Run
	for round := range 2 {
		for i, s := range servers[1:] {
			http = append(http, load.Run{Round: round, Order: i, Shape: "https", Conns: 10000, Server: s.name, Family: s.family, CPUPerReq: 12.3,
				Fewest: 1234, Median: 12345, Most: 123456,
				Wrk: load.Wrk{Requests: 1234567, Duration: 4, ReqPerS: 123456.7, P50: time.Millisecond, P99: 123 * time.Millisecond, P999: 234 * time.Millisecond, Max: 1234 * time.Millisecond, Read: 12, Non2xx: 3}})
		}
	}
	b.WriteString("\nHTTP, every run:\n\n")
	if err := load.WriteRounds(&b, http); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\nHTTP, medians:\n\n")
	if err := load.WriteSummary(&b, load.Summarize(http)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLoadTable: load's default output (-format table) fits 120 columns:
// every table aligned, its less needed columns left out and named, the
// prose wrapped, the command whole; -format wide keeps every column, and
// the text is the same however it is written in pieces.
func TestLoadTable(t *testing.T) {
	md := loadReport(t)
	render := func(format string, chunk int) string {
		var b strings.Builder
		tw := textOutput(format, &b)
		for p := md; p != ""; {
			n := min(chunk, len(p))
			if _, err := tw.Write([]byte(p[:n])); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	table, wide := render("table", 1<<20), render("wide", 1<<20)
	if again := render("table", 7); again != table {
		t.Errorf("written 7 bytes at a time, the table differs:\n%s\nfrom:\n%s", again, table)
	}
	t.Logf("\n%s", table)
	for n, l := range strings.Split(table, "\n") {
		if w := utf8.RuneCountInString(l); w > termWidth && !strings.HasPrefix(l, "    iomodel") && !strings.Contains(l, "failed: ") && !strings.Contains(l, "unavailable: ") { // a reason runs on
			t.Errorf("line %d is %d columns wide: %q", n+1, w, l)
		}
	}
	if !strings.Contains(table, "    iomodel load -models all -shapes all\n") {
		t.Error("the command line is not kept whole")
	}
	if strings.Contains(table, "|") && !strings.Contains(table, "connection refused | and more") {
		t.Error("a Markdown table is left in the output")
	}
	if c := strings.Count(table, "(left out to fit 120 columns: "); c < 4 {
		t.Errorf("%d tables name the columns they left out, want at least 4", c)
	}
	if !strings.Contains(table, "\nmodel  rtt p50  rtt p99\nasync  unavailable: a long reason") || !strings.Contains(table, "\nnet      12 µs    34 µs\n") {
		t.Error("a row's reason, followed by empty cells, widened its column or was left out")
	}
	// Errors are never left out.
	for _, head := range []string{"non-2xx", "socket errors"} {
		if strings.Count(table, head) < 2 {
			t.Errorf("the HTTP tables leave out %q", head)
		}
	}
	// Each table keeps what names a row: shape, count, server.
	for _, head := range []string{"shape     conns  server", "idle conns  server", "shape  conns  server"} {
		if !strings.Contains(table, head) {
			t.Errorf("no table starts %q", head)
		}
	}
	// Wide keeps every column of every table: each header cell, in order.
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "|---") || !strings.Contains(l, "server") {
			continue
		}
		heads := mdCells(l)
		if !strings.Contains(wide, strings.Join(heads, "  ")) && !containsInOrder(wide, heads) {
			t.Errorf("-format wide lacks a header with every column %q", heads)
		}
	}
	// Columns align: in each table, a figure ends where its header ends.
	lines := strings.Split(wide, "\n")
	for i, l := range lines {
		end := strings.Index(l, "req/s") + len("req/s")
		if end < len("req/s") || i+1 >= len(lines) {
			continue
		}
		if row := lines[i+1]; !strings.HasSuffix(row[:min(len(row), end)], "123.5k") {
			t.Errorf("under the header %q the row %q does not end its req/s at column %d", l, row, end)
		}
	}
}

func containsInOrder(s string, words []string) bool {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := line, true
		for _, w := range words {
			i := strings.Index(rest, w)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(w):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestWrap(t *testing.T) {
	long := strings.Repeat("word ", 60)
	for _, tc := range []struct{ in, prefix string }{{long, ""}, {"- " + long, "  "}} {
		got := wrap(tc.in, 40)
		for i, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if utf8.RuneCountInString(l) > 40 || i > 0 && !strings.HasPrefix(l, tc.prefix) {
				t.Errorf("wrap(%.20q, 40): line %d %q", tc.in, i, l)
			}
		}
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(tc.in), " ") {
			t.Errorf("wrap(%.20q) lost words: %q", tc.in, got)
		}
	}
	cmd := "    iomodel " + long
	if got := wrap(cmd, 40); got != cmd+"\n" {
		t.Errorf("a command was wrapped: %q", got)
	}
	if got := fmt.Sprint(mdCells(`| a | b \| c | d |`)); got != "[a b | c d]" {
		t.Errorf("mdCells = %s", got)
	}
}

// TestBenchTable: bench's default table fits 120 columns, leaving out
// the less needed columns and naming them, the readings wrapped under
// their model's name; -format wide has every column.
func TestBenchTable(t *testing.T) {
	r := runArgs(t, append(tiny, "-models", "sigdriven/broadcast,net", "-progress=false", "-isolate=false")...)
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	t.Logf("\n%s", r.stdout)
	for n, l := range strings.Split(r.stdout, "\n") {
		if w := utf8.RuneCountInString(l); w > termWidth {
			t.Errorf("line %d is %d columns wide: %q", n+1, w, l)
		}
	}
	for _, want := range []string{"\nmodel ", "\nsigdriven/broadcast  ", "(left out to fit 120 columns: ", "\nsigdriven/broadcast:  ", "\n                      "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "|") {
		t.Error("a Markdown table is left in the output")
	}
}

// TestQuickTable: the no-argument comparison's table, and every line
// around it, fits 120 columns; -format wide, the same, is taken too.
func TestQuickTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and clients")
	}
	r := runArgs(t, "quick", "-models", "sigdriven/broadcast", "-rounds", "1", "-d", "50ms", "-conns", "2", "-idle", "10", "-progress=false", "-format", "wide")
	if r.code != 0 {
		t.Fatalf("status %d, stderr %q, stdout %s", r.code, r.err, r.stdout)
	}
	for n, l := range strings.Split(r.stdout, "\n") {
		if w := utf8.RuneCountInString(l); w > termWidth {
			t.Errorf("line %d is %d columns wide: %q", n+1, w, l)
		}
	}
	if !strings.Contains(r.stdout, "\nserver ") || !strings.Contains(r.stdout, "\nsigdriven/broadcast conn ") {
		t.Errorf("no table:\n%s", r.stdout)
	}
}
