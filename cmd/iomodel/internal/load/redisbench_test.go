//go:build linux

package load

import (
	"strings"
	"testing"
	"time"
)

func TestParseBenchmarkCSV(t *testing.T) {
	const sample = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","90090.09","0.301","0.088","0.295","0.423","0.551","1.087"
"GET","92592.59","0.287","0.080","0.279","0.399","0.487","0.831"
`
	rows, err := ParseBenchmarkCSV(sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Test != "SET" || rows[0].RPS != 90090.09 || rows[0].P50 != 295*time.Microsecond || rows[1].P99 != 487*time.Microsecond || rows[1].Max != 831*time.Microsecond {
		t.Errorf("%+v", rows)
	}
	for _, bad := range []string{"", "\"test\",\"rps\"\n", strings.Replace(sample, "92592.59", "x", 1), " SET: 16260.16 requests per second, p50=0.127 msec\n"} {
		if _, err := ParseBenchmarkCSV(bad); err == nil {
			t.Errorf("ParseBenchmarkCSV(%q) succeeded", bad)
		}
	}
}
