//go:build linux

package load

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/selfexec"
)

func TestSummarizeEvents(t *testing.T) {
	run := func(round int, server string, rate, cpu float64, sys float64) EventRun {
		return EventRun{Round: round, Shape: EventEcho, Conns: 10, Server: server, Family: server, Rate: rate, CPUPerReq: cpu,
			P99: time.Duration(rate) * time.Microsecond, Fewest: -1, Median: -1, Most: -1, Syscalls: sys, Wakeups: sys / 2}
	}
	runs := []EventRun{
		run(0, "m", 50, 20, 2), run(0, "net", 100, 10, -1),
		run(1, "net", 200, 10, -1), run(1, "m", 300, 5, 4),
		run(2, "m", 110, 10, 3), run(2, "net", 100, 10, -1),
		{Round: 2, Shape: EventIdle, Conns: 100, Server: "net", Family: "net", MemPerConn: 8192},
		{Round: 2, Shape: EventIdle, Conns: 100, Server: "m", Family: "m", MemPerConn: 1024},
		{Round: 2, Shape: EventIdle, Conns: 100, Server: "x", Family: "x", Err: "boom\nmore"},
	}
	ss := SummarizeEvents(runs)
	if len(ss) != 5 || ss[0].Server != "net" || ss[1].Server != "m" || ss[2].Server != "net" {
		t.Fatalf("%+v", ss)
	}
	m := ss[1]
	// Per-round ratios to net: rate 0.5, 1.5, 1.1 → 1.1; CPU 2, 0.5, 1 → 1.
	if m.Rate != 110 || m.RateRatio != 1.1 || m.CPURatio != 1 || m.Syscalls != 3 || m.Wakeups != 1.5 || m.Rounds != 3 {
		t.Errorf("m: %+v", m)
	}
	if ss[0].Syscalls != -1 {
		t.Errorf("net counted syscalls: %+v", ss[0])
	}
	if idle := ss[3]; idle.MemPerConn != 1024 || idle.CPURatio != 0.125 {
		t.Errorf("idle: %+v", idle)
	}
	if x := ss[4]; x.Rounds != 0 || len(x.Failed) != 1 || x.Failed[0] != "round 3: boom" {
		t.Errorf("failed: %+v", x)
	}
	var b strings.Builder
	if err := WriteEventSummary(&b, ss); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| tcp-echo | 10 | m | 110 | 1.10 |", "| 3.00 | 1.50 |", "| 100 | m | 1.0 KiB | 0.12 |", "| 100 | x | failed: round 3: boom |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestProcUsage reads this process's own /proc entries.
func TestProcUsage(t *testing.T) {
	u, err := procUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := procUsage(-1); err == nil {
		t.Error("procUsage(-1) succeeded")
	}
	if u.RSS < 1<<20 {
		t.Errorf("%+v: want a MiB of memory or more", u)
	}
	if u.Threads < 1 {
		if emu := selfexec.Emulator(); emu != "" {
			t.Skipf("under %s: /proc/self/stat is the emulator's, whose num_threads is 0 (%+v); the thread count is measured on real hardware", emu, u)
		}
		t.Errorf("%+v: want a thread or more", u)
	}
}

func TestSizeRESP(t *testing.T) {
	cfg := EventConfig{Duration: 2 * time.Second}
	if n := cfg.sizeRESP(1, 0); n != 50000 {
		t.Errorf("first round, unpipelined: %d", n)
	}
	if n := cfg.sizeRESP(16, 0); n != 300000 {
		t.Errorf("first round, pipelined: %d", n)
	}
	if n := cfg.sizeRESP(1, 80e3); n != 160000 {
		t.Errorf("after a round at 80k/s: %d", n)
	}
	if n := cfg.sizeRESP(1, 10); n != 2000 {
		t.Errorf("after a very slow round: %d", n)
	}
	cfg.Requests = 7
	if n := cfg.sizeRESP(16, 80e3); n != 7 {
		t.Errorf("-requests 7: %d", n)
	}
}

// TestRedisRatios: the RESP table gives each server's ratios to Redis's
// run in the same round.
func TestRedisRatios(t *testing.T) {
	run := func(round int, server string, rate, cpu float64, p99 time.Duration) EventRun {
		return EventRun{Round: round, Shape: "resp get P1", Conns: 50, Server: server, Family: server, Rate: rate, CPUPerReq: cpu, P99: p99}
	}
	runs := []EventRun{
		run(0, "redis", 100, 8, time.Millisecond), run(0, "m", 120, 4, 2*time.Millisecond), run(0, "net", 60, 10, time.Millisecond),
		run(1, "m", 90, 8, time.Millisecond), run(1, "redis", 100, 8, time.Millisecond), run(1, "net", 60, 10, time.Millisecond),
		run(2, "net", 60, 10, time.Millisecond), run(2, "redis", 100, 8, time.Millisecond), run(2, "m", 100, 6, 500*time.Microsecond),
	}
	ss := SummarizeEvents(runs)
	i := slices.IndexFunc(ss, func(s EventSummary) bool { return s.Server == "m" })
	if m := ss[i]; m.RedisRate != 1 || m.RedisP99 != 1 || m.RedisCPU != 0.75 {
		t.Errorf("m against redis: %+v", m)
	}
	var b strings.Builder
	if err := WriteEventSummary(&b, ss); err != nil {
		t.Fatal(err)
	}
	if want := "| resp get P1 | 50 | m | 100 | 1.00 | 1.67 | "; !strings.Contains(b.String(), want) {
		t.Errorf("no row %q:\n%s", want, b.String())
	}
}
