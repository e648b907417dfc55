//go:build linux

package report

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ptr(v float64) *float64 { return &v }

// sample is a run whose readings are known: blocking pays in threads,
// nonblock in EAGAINs, async saves system calls.
var sample = []bench.Result{
	{Model: "blocking", Family: "blocking", Conns: 100, RTTP50: 15, RTTP99: 40, StreamMBps: 900, MsgsPerSec: 60000, CPUPerMsg: 12, MsgP50: 1500, MsgP99: 9000, MsgMax: 420000, MinMsgsPerConn: 2, MaxMsgsPerConn: 1400, Threads: 106, SyscallsPerMsg: ptr(2), WakeupsPerMsg: ptr(0), EAGAINsPerMsg: ptr(0), IdleConns: 100, IdleThreads: 107, IdleCPU: 0.1},
	{Model: "nonblock", Family: "nonblock", Conns: 100, RTTP50: 30, RTTP99: 1500, StreamMBps: 700, MsgsPerSec: 20000, CPUPerMsg: 30, Threads: 12, SyscallsPerMsg: ptr(40), WakeupsPerMsg: ptr(0.4), EAGAINsPerMsg: ptr(38), IdleConns: 100, IdleThreads: 11, IdleCPU: 12.5},
	{Model: "async", Family: "async", Conns: 100, RTTP50: 50, RTTP99: 100, StreamMBps: 500, MsgsPerSec: 50000, CPUPerMsg: 10, Threads: 9, SyscallsPerMsg: ptr(0.3), WakeupsPerMsg: ptr(2), EAGAINsPerMsg: ptr(0)},
	{Model: "net", Family: "net", Conns: 100, RTTP50: 18, RTTP99: 50, StreamMBps: 1000, MsgsPerSec: 50000, CPUPerMsg: 9, MsgP50: 1900, MsgP99: 4000, MsgMax: 9000, MinMsgsPerConn: 480, MaxMsgsPerConn: 520, Threads: 10},
}

func TestReading(t *testing.T) {
	for i, want := range [][]string{
		{"1.2× net.Conn's messages/s", "the quickest round trip", "but", "1.3× net.Conn's CPU per message", "106 OS threads for 100 conns", "holds an OS thread"},
		{"only 12 OS threads for 100 conns", "but 40% of net.Conn's messages/s", "a long tail (p99 50× p50)", "12% of a CPU while 100 conns sit idle", "38 of its 40 system calls per message wasted on EAGAIN"},
		{"about as many messages/s as net.Conn", "only 9 OS threads", "only 0.3 system calls per message", "io_uring_enter"},
		{"the yardstick: 50.0k messages/s over 100 conns at 9.0 µs of CPU each", "netpoller"},
	} {
		got := Reading(sample[i], sample)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: reading %q lacks %q", sample[i].Model, got, w)
			}
		}
		if strings.Contains(got, "\n") {
			t.Errorf("%s: reading is more than one line: %q", sample[i].Model, got)
		}
	}
}

func TestTable(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, "table", sample); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	want := []string{
		"model      rtt p50   rtt p99      stream   100-conn msg/s   msg p50   msg p99     msg max   msgs/conn   CPU/msg   threads   syscalls/msg   wake-ups/msg   idle CPU",
		"blocking     15 µs     40 µs    900 MB/s            60.0k   1.50 ms   9.00 ms   420.00 ms      2–1400     12 µs       106            2.0            0.0       0.1%",
		"nonblock     30 µs   1.50 ms    700 MB/s            20.0k         —         —           —           —     30 µs        12           40.0            0.4      12.5%",
		"async        50 µs    100 µs    500 MB/s            50.0k         —         —           —           —     10 µs         9            0.3            2.0       0.0%",
		"net          18 µs     50 µs   1000 MB/s            50.0k   1.90 ms   4.00 ms     9.00 ms     480–520    9.0 µs        10              —              —       0.0%",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], w)
		}
	}
	if !strings.HasPrefix(lines[6], "blocking:  ") || !strings.Contains(b.String(), Legend) {
		t.Errorf("no readings or legend:\n%s", b.String())
	}
	if err := Write(&b, "yaml", sample); err == nil || !strings.Contains(err.Error(), `unknown format "yaml"`) {
		t.Errorf("Write(yaml) = %v", err)
	}
}

// TestSVGLines: with several connection counts, the per-run figures are
// lines, one per model, with a point per count.
func TestSVGLines(t *testing.T) {
	var rs []bench.Result
	for _, m := range sample {
		for _, n := range []int{10, 100, 1000} {
			r := m
			r.Conns = n
			r.MsgsPerSec *= float64(n) / 100
			rs = append(rs, r)
		}
	}
	var b strings.Builder
	if err := SVG(&b, "setup", rs); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	// Five per-run panels, a line per model in each; wake-ups and system
	// calls have no line for net.Conn.
	if got, want := strings.Count(svg, "<polyline"), 5*len(sample)-2; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	if !strings.Contains(svg, ">async ×1000: 500.0k</title>") {
		t.Errorf("no point for async ×1000 at 500.0k messages/s")
	}
	for _, tick := range []string{">10</text>", ">100</text>", ">1000</text>", ">connections</text>"} {
		if !strings.Contains(svg, tick) {
			t.Errorf("no axis label %q", tick)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{0: 1, 0.3: 0.5, 7: 10, 12: 20, 22: 25, 230: 250, 26000: 50000} {
		if got := niceStep(raw); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}

// TestTableStatusRows: a row without figures keeps the rows after it
// aligned with the header.
func TestTableStatusRows(t *testing.T) {
	rs := []bench.Result{sample[0], {Model: "async", Family: "async", Conns: 100, Unavailable: "no io_uring here"}, sample[3]}
	var b strings.Builder
	if err := Table(&b, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[2] != "async      unavailable: no io_uring here" {
		t.Errorf("status row %q", lines[2])
	}
	for _, i := range []int{1, 3} {
		if len([]rune(lines[i])) != len([]rune(lines[0])) {
			t.Errorf("row %q is not as wide as the header %q", lines[i], lines[0])
		}
	}
}
