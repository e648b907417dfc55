//go:build linux

package load

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BenchRow is one test of a redis-benchmark run (--csv).
type BenchRow struct {
	Test               string // SET, GET
	RPS                float64
	Avg, P50, P99, Max time.Duration
}

// ParseBenchmarkCSV reads redis-benchmark's --csv output: a header, then
// one row per test ("SET","90090.09","0.301","0.088","0.295","0.423",
// "0.551","1.087": rps, then avg, min, p50, p95, p99 and max latency in
// ms). A row whose figures do not parse fails, naming it.
func ParseBenchmarkCSV(out string) ([]BenchRow, error) {
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark's CSV: %v:\n%s", err, out)
	}
	if len(recs) < 2 || len(recs[0]) < 8 || recs[0][0] != "test" || recs[0][1] != "rps" || recs[0][6] != "p99_latency_ms" {
		return nil, fmt.Errorf("redis-benchmark's output is not its CSV with p99 (redis-benchmark 6.2 or later):\n%s", out)
	}
	var rows []BenchRow
	for _, r := range recs[1:] {
		var f [8]float64
		for i := 1; i < 8; i++ {
			if f[i], err = strconv.ParseFloat(r[i], 64); err != nil {
				return nil, fmt.Errorf("redis-benchmark's row %q: %v", r, err)
			}
		}
		ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
		rows = append(rows, BenchRow{Test: r[0], RPS: f[1], Avg: ms(f[2]), P50: ms(f[4]), P99: ms(f[6]), Max: ms(f[7])})
	}
	return rows, nil
}
