//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/report"
)

// tiny is a bench short enough for a test: two models, two connection
// counts, runs of a few milliseconds.
var tiny = []string{"bench", "-models", "blocking,net", "-conns", "2,3", "-duration", "15ms", "-chunk", "4096"}

func TestBenchCSV(t *testing.T) {
	r := runArgs(t, append(tiny, "-format", "csv")...)
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, r.stdout)
	}
	if diff := cmp.Diff(report.CSVHeader, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var got []string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		got = append(got, row["model"]+"×"+row["conns"])
		if row["status"] != "ok" {
			t.Errorf("%s: status %q", row["model"], row["status"])
		}
		for _, h := range []string{"rtt_p50_us", "rtt_p99_us", "stream_mb_s", "msgs_s", "cpu_us_per_msg", "threads"} {
			if v, err := strconv.ParseFloat(row[h], 64); err != nil || v <= 0 {
				t.Errorf("%s: %s = %q", row["model"], h, row[h])
			}
		}
		if counted := row["syscalls_per_msg"] != ""; counted != (row["model"] != "net") {
			t.Errorf("%s: syscalls_per_msg %q", row["model"], row["syscalls_per_msg"])
		}
	}
	if diff := cmp.Diff([]string{"blocking×2", "blocking×3", "net×2", "net×3"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Progress went to stderr, a line per step as stderr is no terminal.
	for _, want := range []string{"[1/2] blocking: round trip", "[2/2] net: 3 conns"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr %q lacks progress %q", r.err, want)
		}
	}
}

// TestBenchJSONEveryModel runs every model in this process (-isolate=false),
// so that goleak sees any goroutine a model leaves behind.
func TestBenchJSONEveryModel(t *testing.T) {
	list := models.All()
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
	}
	r := runArgs(t, "bench", "-models", strings.Join(names, ","), "-conns", "2", "-duration", "10ms", "-chunk", "4096", "-format", "json", "-progress=false", "-isolate=false")
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	if r.err != "" {
		t.Errorf("stderr %q with -progress=false", r.err)
	}
	var rs []bench.Result
	if err := json.Unmarshal([]byte(r.stdout), &rs); err != nil {
		t.Fatalf("the JSON does not parse: %v\n%s", err, r.stdout)
	}
	if len(rs) != len(list) {
		t.Fatalf("%d results for %d models", len(rs), len(list))
	}
	for i, res := range rs {
		m := list[i]
		if res.Model != m.Name || res.Conns != 2 || res.Size != 64 {
			t.Errorf("result %d: %s ×%d, %d bytes", i, res.Model, res.Conns, res.Size)
		}
		if res.Unavailable != "" {
			if reason := unavailable(m); reason == "" {
				t.Errorf("%s reported unavailable (%s) but starts here", m.Name, res.Unavailable)
			}
			continue
		}
		if !res.OK() || res.MsgsPerSec <= 0 || res.RTTP50 <= 0 {
			t.Errorf("%s: %+v", m.Name, res)
		}
		// A saved result says where it was measured.
		if mc := res.Machine; mc == nil || mc.Kernel == "" || mc.Go == "" || mc.GOMAXPROCS < 1 || mc.Commit == "" || mc.CPUs < 1 {
			t.Errorf("%s: machine %+v", m.Name, mc)
		}
	}
	// The generic decoding keeps the field names the README documents.
	var raw []map[string]any
	json.Unmarshal([]byte(r.stdout), &raw)
	for _, k := range []string{"model", "rtt_p50_us", "rtt_p99_us", "stream_mb_s", "msgs_s", "cpu_us_per_msg", "threads", "syscalls_per_msg", "wakeups_per_msg"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("JSON object lacks %q: %v", k, raw[0])
		}
	}
}

func TestBenchTableMarkdownSVG(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "chart.svg")
	r := runArgs(t, append(tiny, "-svg", svg, "-progress=false", "-format", "wide")...)
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	// Setup line, blank, header, 4 rows, blank, a reading per model, blank,
	// legend.
	if len(lines) != 11+strings.Count(report.Legend, "\n") || !strings.HasPrefix(lines[2], "model ") || !strings.Contains(lines[0], "64-byte messages, 2/3 conns") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	for _, l := range lines[3:7] {
		if utf8.RuneCountInString(l) != utf8.RuneCountInString(lines[2]) {
			t.Errorf("row %q is not as wide as the header %q", l, lines[2])
		}
	}
	if !strings.HasPrefix(lines[8], "blocking:") || !strings.Contains(lines[8], "over 3 conns") || !strings.Contains(lines[8], "holds an OS thread") {
		t.Errorf("reading %q", lines[8])
	}
	if !strings.HasPrefix(lines[9], "net:") {
		t.Errorf("reading %q", lines[9])
	}
	checkSVG(t, svg, []string{"blocking", "net", "Round trip, median"})

	r = runArgs(t, append(tiny, "-format", "markdown", "-progress=false", "-isolate=false")...)
	md := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(r.stdout, "    iomodel bench ") || len(md) < 4 || !strings.Contains(md[2], "commit ") {
		t.Errorf("the markdown page does not start with the command, then the setup, machine and commit:\n%s", r.stdout)
	} else {
		md = md[4:]
	}
	if r.code != 0 || len(md) != 6 || !strings.HasPrefix(md[1], "|---|") {
		t.Fatalf("markdown (status %d):\n%s", r.code, r.stdout)
	}
	for _, l := range md {
		if strings.Count(l, "|") != strings.Count(md[0], "|") {
			t.Errorf("markdown row %q has not the header's columns", l)
		}
	}
}

// checkSVG parses the file as XML, token by token, and looks for texts.
func checkSVG(t *testing.T, path string, texts []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	var root string
	var chars strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			chars.Write(tok)
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	for _, s := range texts {
		if !strings.Contains(chars.String(), s) {
			t.Errorf("the SVG has no text %q", s)
		}
	}
}

// TestReportsWithoutNumbers: an unavailable model and a failed one show
// their reasons in every format, and the SVG escapes them.
func TestReportsWithoutNumbers(t *testing.T) {
	one := 1.0
	rs := []bench.Result{
		{Model: "blocking", Family: "blocking", Conns: 4, RTTP50: 10, RTTP99: 20, StreamMBps: 100, MsgsPerSec: 1000, CPUPerMsg: 5, Threads: 9, SyscallsPerMsg: &one, WakeupsPerMsg: &one, EAGAINsPerMsg: &one},
		{Model: "async", Family: "async", Conns: 4, Unavailable: "io_uring is disabled <kernel.io_uring_disabled=2> & so on"},
		{Model: "multiplex/poll", Family: "multiplex", Conns: 4, Error: "round trip: connection reset"},
	}
	for _, format := range report.Formats {
		var b strings.Builder
		if err := report.Write(&b, format, rs); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for _, want := range []string{"unavailable: io_uring is disabled", "failed: round trip: connection reset"} {
			if format == "json" {
				want = strings.TrimPrefix(strings.TrimPrefix(want, "unavailable: "), "failed: ")
				want = strings.ReplaceAll(want, "<", `\u003c`)
			}
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s output lacks %q:\n%s", format, want, b.String())
			}
		}
	}
	path := filepath.Join(t.TempDir(), "c.svg")
	f, _ := os.Create(path)
	if err := report.SVG(f, "a <title> & more", rs); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkSVG(t, path, []string{"a <title> & more", "unavailable: io_uring is disabled <kernel"})
	if !slices.Contains(report.Formats, "markdown") {
		t.Error("no markdown format")
	}
}

// TestBenchLoad: results written as JSON come back as the same table, with
// no measuring.
func TestBenchLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	r := runArgs(t, append(tiny, "-format", "json", "-progress=false", "-isolate=false")...)
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	var rs []bench.Result
	json.Unmarshal([]byte(r.stdout), &rs)
	var want strings.Builder
	writeBench(&want, "markdown", rs, configOf(rs, bench.Config{}), 1)
	r = runArgs(t, "bench", "-load", path, "-format", "markdown")
	if r.code != 0 || r.stdout != want.String() || r.err != "" {
		t.Errorf("-load: status %d, stderr %q, output:\n%s\nwant:\n%s", r.code, r.err, r.stdout, want.String())
	}
	r = runArgs(t, "bench", "-load", path)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "64-byte messages, 2/3 conns, 4 KiB stream sends, TCP loopback, 15ms per run") {
		t.Errorf("-load table: status %d:\n%s", r.code, r.stdout)
	}
	os.WriteFile(path, []byte("[]"), 0o644)
	if r := runArgs(t, "bench", "-load", path); r.code != 2 || !strings.Contains(r.err, "no results") {
		t.Errorf("-load of an empty list: status %d, stderr %q", r.code, r.err)
	}
	if r := runArgs(t, "bench", "-load", filepath.Join(t.TempDir(), "none.json")); r.code != 2 || !strings.Contains(r.err, "no such file") {
		t.Errorf("-load of a missing file: status %d, stderr %q", r.code, r.err)
	}
}

// TestBenchInterrupt: SIGINT stops a long bench at once, with its peer and
// worker processes, and says so.
func TestBenchInterrupt(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to run as the program: %v", err)
	}
	cmd := command(context.Background(), self, "bench", "-models", "blocking,net", "-duration", "1m")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "round trip") {
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(rest.String(), "iomodel bench: interrupted") {
		t.Errorf("after SIGINT: %v, stderr %q", err, rest.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

// TestBenchCount: -count measures in rounds and reports medians.
func TestBenchCount(t *testing.T) {
	r := runArgs(t, "bench", "-models", "blocking", "-count", "2", "-conns", "2", "-duration", "10ms", "-chunk", "4096", "-format", "json", "-isolate=false")
	var rs []bench.Result
	if err := json.Unmarshal([]byte(r.stdout), &rs); r.code != 0 || err != nil || len(rs) != 1 || rs[0].Runs != 2 || !rs[0].OK() {
		t.Fatalf("status %d, %v: %s", r.code, err, r.stdout)
	}
	if !strings.Contains(r.err, "[2/2] blocking (round 2/2): round trip") {
		t.Errorf("progress %q", r.err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(path, []byte(r.stdout), 0o644)
	if r := runArgs(t, "bench", "-load", path); !strings.Contains(r.stdout, "10ms per run, median of 2;") {
		t.Errorf("setup line of loaded medians:\n%s", r.stdout)
	}
}

// TestWorkerFailure: a worker that dies is reported as a failed row per
// connection count, with the first lines it wrote, and the bench goes on.
func TestWorkerFailure(t *testing.T) {
	script := filepath.Join(t.TempDir(), "worker")
	body := "#!/bin/sh\necho 'phase: start' >&2\nfor i in 1 2 3 4 5; do echo \"panic line $i\" >&2; done\nexit 2\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	m, _ := models.Lookup("blocking")
	var phases []string
	rs := runWorker(t.Context(), script, m, bench.Config{Addr: "127.0.0.1:1", Size: 1, Chunk: 1, Conns: []int{1, 2}, Duration: time.Millisecond},
		func(p string) { phases = append(phases, p) })
	if len(rs) != 2 || rs[1].Conns != 2 || rs[0].Model != "blocking" {
		t.Fatalf("results %+v", rs)
	}
	want := "worker: exit status 2 panic line 1; panic line 2; panic line 3; …"
	if rs[0].Error != want || rs[1].Error != want {
		t.Errorf("error %q, want %q", rs[0].Error, want)
	}
	if len(phases) != 1 || phases[0] != "start" {
		t.Errorf("phases %q", phases)
	}
}
