//go:build linux

package load

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Wrk is what one wrk run reported.
type Wrk struct {
	Requests int64   // completed requests
	Duration float64 // seconds the run took, as wrk measured it
	ReqPerS  float64 // wrk's Requests/sec

	// From the Latency Distribution of --latency.
	P50, P75, P90, P99 time.Duration
	// From the done hook of Script: latency:percentile(99.9) and
	// latency.max, exact to the microsecond (the Thread Stats' Max is
	// rounded to three digits).
	P999, Max time.Duration

	// Socket errors wrk counted (its "Socket errors:" line; absent when
	// all are zero) and the answers whose status was not 2xx or 3xx.
	Connect, Read, Write, Timeout int64
	Non2xx                        int64
}

// SocketErrors is the sum of wrk's socket errors.
func (w Wrk) SocketErrors() int64 { return w.Connect + w.Read + w.Write + w.Timeout }

// hookPrefix starts the line the done hook of Script prints.
const hookPrefix = "iomodel:"

// ParseWrk reads wrk's output (run with --latency and Script's done hook).
// It fails when a figure the benchmark reports is missing, rather than
// report a zero.
func ParseWrk(out string) (Wrk, error) {
	var w Wrk
	var saw struct{ reqs, rate, dist, hook bool }
	sc := bufio.NewScanner(strings.NewReader(out))
	inDist := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		var err error
		switch {
		case line == "Latency Distribution":
			inDist = true
			continue
		case inDist && len(f) == 2 && strings.HasSuffix(f[0], "%"):
			var d time.Duration
			if d, err = wrkDuration(f[1]); err == nil {
				switch f[0] {
				case "50%":
					w.P50, saw.dist = d, true
				case "75%":
					w.P75 = d
				case "90%":
					w.P90 = d
				case "99%":
					w.P99 = d
				}
			}
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			// "63563 requests in 1.10s, 7.88MB read"
			w.Requests, err = strconv.ParseInt(f[0], 10, 64)
			saw.reqs = true
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			w.ReqPerS, err = strconv.ParseFloat(f[1], 64)
			saw.rate = true
		case strings.HasPrefix(line, "Socket errors:"):
			// "Socket errors: connect 0, read 12, write 0, timeout 3"
			_, err = fmt.Sscanf(line, "Socket errors: connect %d, read %d, write %d, timeout %d", &w.Connect, &w.Read, &w.Write, &w.Timeout)
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:") && len(f) == 5:
			w.Non2xx, err = strconv.ParseInt(f[4], 10, 64)
		case strings.HasPrefix(line, hookPrefix):
			err = w.parseHook(f[1:])
			saw.hook = true
		default:
			inDist = inDist && strings.HasSuffix(f0(f), "%")
		}
		if err != nil {
			return w, fmt.Errorf("wrk's line %q: %v", line, err)
		}
	}
	switch {
	case !saw.reqs || !saw.rate:
		return w, fmt.Errorf("no request count or Requests/sec in wrk's output:\n%s", out)
	case !saw.dist:
		return w, fmt.Errorf("no Latency Distribution in wrk's output (run without --latency?):\n%s", out)
	case !saw.hook:
		return w, fmt.Errorf("no %q line from the done hook in wrk's output (run without the script?):\n%s", hookPrefix, out)
	}
	return w, nil
}

func f0(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// parseHook reads the done hook's key=value fields.
func (w *Wrk) parseHook(fields []string) error {
	for _, kv := range fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("field %q is not key=value", kv)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("field %q: %v", kv, err)
		}
		us := time.Duration(x * float64(time.Microsecond))
		switch k {
		case "p999_us":
			w.P999 = us
		case "max_us":
			w.Max = us
		case "duration_us":
			w.Duration = us.Seconds()
		case "status":
			// The count behind wrk's Non-2xx line (statuses above
			// 399): the larger is kept, so neither can hide the other.
			w.Non2xx = max(w.Non2xx, int64(x))
		}
	}
	return nil
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
// and a done hook that prints, on one line after wrk's report, what wrk's
// report lacks (p99.9 and the exact max).
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
  io.write(string.format("` + hookPrefix + ` requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p999_us=%.1f max_us=%.1f\n",
    summary.requests, summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(99.9), latency.max))
end
`)
	return b.String()
}
