//go:build linux

package load

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A run of wrk 4.1.0 (Debian) with --latency and Script's done hook, with
// a socket errors line and a Non-2xx line as wrk prints them.
const sampleWrk = `Running 1s test @ http://127.0.0.1:18080/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   467.99us    1.32ms  23.08ms   92.94%
    Req/Sec    57.66k     7.72k   77.54k    80.00%
  Latency Distribution
     50%  117.00us
     75%  149.00us
     90%    1.09ms
     99%    6.86ms
  57362 requests in 1.00s, 7.49MB read
  Socket errors: connect 0, read 12, write 1, timeout 3
  Non-2xx or 3xx responses: 57
Requests/sec:  57347.72
Transfer/sec:      7.49MB
iomodel: requests=57362 duration_us=1000249 connect=0 read=12 write=1 status=57 timeout=3 p50_us=117.0 p75_us=149.0 p90_us=1090.0 p99_us=6860.0 p999_us=13170.0 max_us=23076.0
`

func TestParseWrk(t *testing.T) {
	got, err := ParseWrk(sampleWrk)
	if err != nil {
		t.Fatal(err)
	}
	want := Wrk{
		Requests: 57362, Duration: 1.000249, ReqPerS: 57362 / 1.000249,
		P50: 117 * time.Microsecond, P75: 149 * time.Microsecond, P90: 1090 * time.Microsecond, P99: 6860 * time.Microsecond,
		P999: 13170 * time.Microsecond, Max: 23076 * time.Microsecond,
		Read: 12, Write: 1, Timeout: 3, Non2xx: 57,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseWrk (-want +got):\n%s", diff)
	}
	if got.SocketErrors() != 16 {
		t.Errorf("SocketErrors = %d", got.SocketErrors())
	}
	// The figures come from the hook alone: wrk's text, rounded, is not
	// read.
	clean := strings.NewReplacer("read=12 write=1 status=57 timeout=3", "read=0 write=0 status=0 timeout=0", "57362 requests", "1 requests").Replace(sampleWrk)
	if w, err := ParseWrk(clean); err != nil || w.SocketErrors() != 0 || w.Non2xx != 0 || w.Requests != 57362 {
		t.Errorf("without errors: %+v, %v", w, err)
	}
	// A figure the report needs that is missing fails, naming it.
	for cut, says := range map[string]string{
		"iomodel: ":      "done hook",
		"p99_us=6860.0 ": "no p99_us",
		"requests=57362": "no requests",
		"max_us=23076.0": "no max_us",
	} {
		if _, err := ParseWrk(strings.Replace(sampleWrk, cut, "", 1)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("without %q: %v, want an error saying %q", cut, err, says)
		}
	}
}

func TestWrkDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"117.00us": 117 * time.Microsecond, "3.48ms": 3480 * time.Microsecond,
		"1.20s": 1200 * time.Millisecond, "2.00m": 2 * time.Minute,
	} {
		if got, err := wrkDuration(in); err != nil || got != want {
			t.Errorf("wrkDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := wrkDuration("12"); err == nil {
		t.Error("a duration without unit parsed")
	}
}

func TestScript(t *testing.T) {
	byName := map[string]Shape{}
	for _, s := range Shapes {
		byName[s.Name] = s
	}
	for name, tc := range map[string]struct{ has, lacks []string }{
		"hello": {lacks: []string{"wrk.method", "wrk.body", "Connection"}},
		"close": {has: []string{`wrk.headers["Connection"] = "close"`}, lacks: []string{"wrk.method"}},
		"body":  {has: []string{`wrk.method = "POST"`, `wrk.body = string.rep("x", 4096)`}},
	} {
		s := Script(byName[name])
		for _, h := range append(tc.has, "done = function(summary, latency, requests)", "latency:percentile(99.9)", "latency.max", hookPrefix) {
			if !strings.Contains(s, h) {
				t.Errorf("%s's script lacks %q:\n%s", name, h, s)
			}
		}
		for _, l := range tc.lacks {
			if strings.Contains(s, l) {
				t.Errorf("%s's script has %q:\n%s", name, l, s)
			}
		}
	}
	// What the done hook prints is what ParseWrk reads.
	w, err := ParseWrk("iomodel: requests=5 duration_us=2000000 connect=0 read=0 write=0 status=0 timeout=0 p50_us=1 p75_us=2 p90_us=3 p99_us=4 p999_us=12.5 max_us=40.0\n")
	if err != nil || w.P999 != 12500*time.Nanosecond || w.Max != 40*time.Microsecond || w.Duration != 2 || w.ReqPerS != 2.5 || w.P99 != 4*time.Microsecond {
		t.Errorf("ParseWrk of the hook's line: %+v, %v", w, err)
	}
	for _, field := range []string{"p50_us", "p75_us", "p90_us", "p99_us", "p999_us", "max_us", "requests", "duration_us", "status"} {
		if !strings.Contains(Script(byName["hello"]), field+"=") {
			t.Errorf("the hook prints no %s", field)
		}
	}
}

func TestSelectShapes(t *testing.T) {
	ss, err := SelectShapes("echo, hello")
	if err != nil || len(ss) != 2 || ss[0].Name != "hello" || ss[1].Name != "echo" {
		t.Errorf("SelectShapes = %v, %v", ss, err)
	}
	if ss, _ := SelectShapes("all"); len(ss) != len(Shapes) {
		t.Errorf("all: %d shapes", len(ss))
	}
	for _, bad := range []string{"nope", "", ","} {
		if _, err := SelectShapes(bad); err == nil {
			t.Errorf("SelectShapes(%q) succeeded", bad)
		}
	}
}

func TestWrkArgs(t *testing.T) {
	got := WrkArgs(1, 100, 1500*time.Millisecond, 10*time.Second, "/tmp/s.lua", "http://a/")
	want := []string{"-t1", "-c100", "-d2s", "--timeout", "10s", "--latency", "-s", "/tmp/s.lua", "http://a/"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WrkArgs (-want +got):\n%s", diff)
	}
}

func TestSummarizeRatios(t *testing.T) {
	run := func(round int, server string, rps float64, p99 time.Duration) Run {
		fam := server
		return Run{Round: round, Shape: "hello", Conns: 10, Server: server, Family: fam, Fewest: 1, Most: 2,
			Wrk: Wrk{Requests: 100, ReqPerS: rps, P99: p99, Max: p99, Timeout: 1}}
	}
	runs := []Run{
		run(0, "net", 100, 10*time.Millisecond), run(0, "m", 50, 40*time.Millisecond),
		run(1, "m", 300, 10*time.Millisecond), run(1, "net", 200, 20*time.Millisecond),
		run(2, "net", 100, 10*time.Millisecond), run(2, "m", 110, 10*time.Millisecond),
	}
	ss := Summarize(runs)
	if len(ss) != 2 || ss[0].Server != "net" {
		t.Fatalf("%+v", ss)
	}
	m := ss[1]
	// Per-round ratios 0.5, 1.5, 1.1 → median 1.1; p99 4, 0.5, 1 → 1.
	if m.ReqRatio != 1.1 || m.P99Ratio != 1 || m.ReqPerS != 110 || m.SockErrs != 3 || m.Rounds != 3 {
		t.Errorf("summary %+v", m)
	}
	var b strings.Builder
	if err := WriteSummary(&b, ss); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| hello | 10 | m | 110 | 1.10 |") {
		t.Errorf("table:\n%s", b.String())
	}
}
