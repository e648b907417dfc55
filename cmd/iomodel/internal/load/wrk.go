//go:build linux

package load

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Wrk is what one wrk run reported, through the done hook of Script.
type Wrk struct {
	Requests int64   // completed requests
	Duration float64 // seconds the run took, as wrk measured it
	ReqPerS  float64 // Requests / Duration

	// Latency percentiles and the largest latency, exact to the
	// microsecond (wrk's own report rounds them to three digits).
	P50, P75, P90, P99, P999, Max time.Duration

	// Socket errors wrk counted, and the answers whose status was 400 or
	// more (wrk's "Non-2xx or 3xx responses").
	Connect, Read, Write, Timeout int64
	Non2xx                        int64
}

// SocketErrors is the sum of wrk's socket errors.
func (w Wrk) SocketErrors() int64 { return w.Connect + w.Read + w.Write + w.Timeout }

// hookPrefix starts the line the done hook of Script prints.
const hookPrefix = "iomodel:"

// hookFields are the fields of the done hook's line, in order: counts,
// then latencies in microseconds.
var hookFields = []string{"requests", "duration_us", "connect", "read", "write", "status", "timeout",
	"p50_us", "p75_us", "p90_us", "p99_us", "p999_us", "max_us"}

// ParseWrk reads the figures of a wrk run from the line the done hook of
// Script printed in out, wrk's output. It fails when the line, or a field
// of it, is missing, rather than report a zero.
func ParseWrk(out string) (Wrk, error) {
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == hookPrefix {
			var w Wrk
			if err := w.parseHook(f[1:]); err != nil {
				return w, fmt.Errorf("wrk's done hook line %q: %v", strings.TrimSpace(line), err)
			}
			return w, nil
		}
	}
	return Wrk{}, fmt.Errorf("no %q line from the done hook in wrk's output (run without the script, or a wrk without Lua?):\n%s", hookPrefix, out)
}

// parseHook reads the done hook's key=value fields: every one of
// hookFields, each once.
func (w *Wrk) parseHook(fields []string) error {
	v := map[string]float64{}
	for _, kv := range fields {
		k, s, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("field %q is not key=value", kv)
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || x < 0 {
			return fmt.Errorf("field %q: not a count or a latency", kv)
		}
		if _, dup := v[k]; dup {
			return fmt.Errorf("field %q twice", k)
		}
		v[k] = x
	}
	for _, k := range hookFields {
		if _, ok := v[k]; !ok {
			return fmt.Errorf("no field %q", k)
		}
	}
	us := func(k string) time.Duration { return time.Duration(v[k] * float64(time.Microsecond)) }
	*w = Wrk{
		Requests: int64(v["requests"]), Duration: us("duration_us").Seconds(),
		P50: us("p50_us"), P75: us("p75_us"), P90: us("p90_us"), P99: us("p99_us"), P999: us("p999_us"), Max: us("max_us"),
		Connect: int64(v["connect"]), Read: int64(v["read"]), Write: int64(v["write"]), Timeout: int64(v["timeout"]),
		Non2xx: int64(v["status"]),
	}
	if w.Duration <= 0 {
		return errors.New("duration_us is 0")
	}
	w.ReqPerS = float64(w.Requests) / w.Duration
	return nil
}

// Script is the wrk Lua script of a shape: its method, body and headers,
// and a done hook that prints, on one line after wrk's report, the run's
// figures from wrk's own counters and latency histogram: hookFields.
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
  local e = summary.errors
  io.write(string.format("` + hookPrefix + ` requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%.1f p75_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`)
	return b.String()
}
