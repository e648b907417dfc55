//go:build linux

package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Wrk is what one wrk run reported.
type Wrk struct {
	Requests int64   // completed requests
	Duration float64 // seconds the run took, as wrk measured it
	ReqPerS  float64 // Requests over Duration, as wrk's Requests/sec

	// Latency percentiles and the max, from the done hook of Script
	// (latency:percentile and latency.max, exact to the microsecond; the
	// text report rounds them to three digits).
	P50, P75, P90, P99, P999, Max time.Duration

	// Socket errors wrk counted (summary.errors) and the answers whose
	// status was above 399 (summary.errors.status).
	Connect, Read, Write, Timeout int64
	Non2xx                        int64
}

// SocketErrors is the sum of wrk's socket errors.
func (w Wrk) SocketErrors() int64 { return w.Connect + w.Read + w.Write + w.Timeout }

// hookPrefix starts the line the done hook of Script prints.
const hookPrefix = "iomodel:"

// ParseWrk reads wrk's figures from the line Script's done hook prints
// (wrk's summary and latency objects, exact: the text report rounds them),
// and fails, naming it, when a figure is missing rather than report a
// zero.
func ParseWrk(out string) (Wrk, error) {
	var w Wrk
	var line string
	for l := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), hookPrefix); ok {
			line = rest
		}
	}
	if line == "" {
		return w, fmt.Errorf("no %q line from the done hook in wrk's output (run without the script?):\n%s", hookPrefix, out)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Fields(line) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return w, fmt.Errorf("wrk's done hook: field %q is not key=value", kv)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return w, fmt.Errorf("wrk's done hook: field %q: %v", kv, err)
		}
		seen[k] = true
		us := time.Duration(x * float64(time.Microsecond))
		switch k {
		case "requests":
			w.Requests = int64(x)
		case "duration_us":
			w.Duration = us.Seconds()
		case "connect":
			w.Connect = int64(x)
		case "read":
			w.Read = int64(x)
		case "write":
			w.Write = int64(x)
		case "timeout":
			w.Timeout = int64(x)
		case "status":
			w.Non2xx = int64(x)
		case "p50_us":
			w.P50 = us
		case "p75_us":
			w.P75 = us
		case "p90_us":
			w.P90 = us
		case "p99_us":
			w.P99 = us
		case "p999_us":
			w.P999 = us
		case "max_us":
			w.Max = us
		}
	}
	for _, k := range []string{"requests", "duration_us", "p50_us", "p99_us", "p999_us", "max_us", "status"} {
		if !seen[k] {
			return w, fmt.Errorf("wrk's done hook printed no %s: %q", k, line)
		}
	}
	if w.Duration > 0 {
		w.ReqPerS = float64(w.Requests) / w.Duration
	}
	return w, nil
}

// wrkDuration reads wrk's latency figures: "117.00us", "3.48ms", "1.20s",
// "2.00m".
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"m", time.Minute}, {"h", time.Hour}, {"s", time.Second}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("bad duration %q: no unit", s)
}

// Script is the wrk Lua script of a shape: its method, body and headers,
// and a done hook that prints, on one line after wrk's report, every
// figure the benchmark reads (ParseWrk), exact.
func Script(s Shape) string {
	var b strings.Builder
	b.WriteString("-- written by iomodel load for the " + s.Name + " shape\n")
	if s.Method != "" && s.Method != "GET" {
		fmt.Fprintf(&b, "wrk.method = %q\n", s.Method)
	}
	if s.BodySize > 0 {
		fmt.Fprintf(&b, "wrk.body = string.rep(\"x\", %d)\n", s.BodySize)
		b.WriteString("wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n")
	}
	if s.Close {
		b.WriteString("wrk.headers[\"Connection\"] = \"close\"\n")
	}
	b.WriteString(`done = function(summary, latency, requests)
  io.write(string.format("` + hookPrefix + ` requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%.1f p75_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f\n",
    summary.requests, summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`)
	return b.String()
}
