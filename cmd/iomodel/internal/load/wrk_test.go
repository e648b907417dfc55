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

// A run of wrk 4.1.0 (Debian) with Script's done hook, with a socket
// errors line and a Non-2xx line as wrk prints them. The hook's figures
// differ from the text's on purpose: they are the ones read.
const sampleWrk = `Running 1s test @ http://127.0.0.1:18080/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   467.99us    1.32ms  23.08ms   92.94%
    Req/Sec    57.66k     7.72k   77.54k    80.00%
  57362 requests in 1.00s, 7.49MB read
  Socket errors: connect 0, read 12, write 1, timeout 3
  Non-2xx or 3xx responses: 57
Requests/sec:  57347.72
Transfer/sec:      7.49MB
iomodel: requests=57361 duration_us=1000249 connect=0 read=12 write=1 status=57 timeout=3 p50_us=117.0 p75_us=149.0 p90_us=1091.0 p99_us=6863.0 p999_us=13170.0 max_us=23076.0
`

func TestParseWrk(t *testing.T) {
	got, err := ParseWrk(sampleWrk)
	if err != nil {
		t.Fatal(err)
	}
	want := Wrk{
		Requests: 57361, Duration: 1.000249, ReqPerS: 57361 / 1.000249,
		P50: 117 * time.Microsecond, P75: 149 * time.Microsecond, P90: 1091 * time.Microsecond, P99: 6863 * time.Microsecond,
		P999: 13170 * time.Microsecond, Max: 23076 * time.Microsecond,
		Read: 12, Write: 1, Timeout: 3, Non2xx: 57,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseWrk (-want +got):\n%s", diff)
	}
	if got.SocketErrors() != 16 {
		t.Errorf("SocketErrors = %d", got.SocketErrors())
	}
	// The hook's line alone is enough; without it, or with a field
	// missing, mangled or twice, ParseWrk fails, naming what.
	hook := sampleWrk[strings.Index(sampleWrk, "iomodel:"):]
	if w, err := ParseWrk(hook); err != nil || w != got {
		t.Errorf("the hook's line alone: %+v, %v", w, err)
	}
	for cut, says := range map[string]string{
		"iomodel: ":          "no \"iomodel:\" line from the done hook",
		"p99_us=6863.0":      `no field "p99_us"`,
		"requests=57361":     `no field "requests"`,
		"status=57":          `field "status=x": not a count`,
		"timeout=3":          `field "timeout" twice`,
		"duration_us=100024": `field "duration_us=x9": not a count`,
		" max_us=23076.0":    `no field "max_us"`,
		"read=12":            `field "read" is not key=value`,
	} {
		repl := map[string]string{"iomodel: ": "x", "status=57": "status=x", "timeout=3": "timeout=3 timeout=4", "duration_us=100024": "duration_us=x", "read=12": "read"}[cut]
		if _, err := ParseWrk(strings.Replace(sampleWrk, cut, repl, 1)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("with %q replaced by %q: %v, want an error saying %q", cut, repl, err, says)
		}
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
		for _, h := range append(tc.has, "done = function(summary, latency, requests)", "latency:percentile(50)", "latency:percentile(99.9)", "latency.max", hookPrefix) {
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
	// The done hook prints every field ParseWrk reads, in its order.
	s := Script(Shapes[0])
	at := 0
	for _, k := range hookFields {
		i := strings.Index(s[at:], " "+k+"=%")
		if i < 0 {
			t.Errorf("the done hook does not print %s after %q", k, s[:at])
			break
		}
		at += i + 1
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
	want := []string{"-t1", "-c100", "-d2s", "--timeout", "10s", "-s", "/tmp/s.lua", "http://a/"}
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
