//go:build linux

package bench

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunEveryModel(t *testing.T) {
	p, err := StartPeer()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg := Config{Addr: p.Addr(), Size: 64, Chunk: 16 << 10, Conns: []int{1, 4}, Duration: 30 * time.Millisecond}
	for _, m := range models.All() {
		t.Run(m.Name, func(t *testing.T) {
			var phases []string
			rs := Run(m, cfg, func(s string) { phases = append(phases, s) })
			if len(rs) != len(cfg.Conns) {
				t.Fatalf("%d results for %d connection counts", len(rs), len(cfg.Conns))
			}
			for i, r := range rs {
				if r.Unavailable != "" {
					t.Skipf("unavailable: %s", r.Unavailable)
				}
				if !r.OK() {
					t.Fatalf("result %d: %s", i, r.Error)
				}
				t.Logf("%+v", r)
				if r.Conns != cfg.Conns[i] || r.Model != m.Name {
					t.Errorf("result %d is for %s with %d conns", i, r.Model, r.Conns)
				}
				if r.RTTP50 <= 0 || r.RTTP99 < r.RTTP50 || r.RoundTrips == 0 {
					t.Errorf("round trip: p50 %v p99 %v over %d", r.RTTP50, r.RTTP99, r.RoundTrips)
				}
				if r.StreamMBps <= 0 || r.MsgsPerSec <= 0 || r.CPUPerMsg <= 0 || r.Threads < 1 {
					t.Errorf("stream %v MB/s, %v msg/s, %v µs CPU/msg, %d threads", r.StreamMBps, r.MsgsPerSec, r.CPUPerMsg, r.Threads)
				}
				if r.IdleConns != 4 || r.IdleThreads < 1 || r.IdleCPU < 0 {
					t.Errorf("idle: %d conns, %d threads, %v%% CPU", r.IdleConns, r.IdleThreads, r.IdleCPU)
				}
				if (r.SyscallsPerMsg == nil) != (m.Family == "net") {
					t.Errorf("syscalls per message counted: %v, want it for every model but net", r.SyscallsPerMsg != nil)
				}
				// A round trip costs a send and a receive, except where the
				// ring's one io_uring_enter carries many of them.
				if least := 2.0; r.SyscallsPerMsg != nil && *r.SyscallsPerMsg < least && m.Family != "async" {
					t.Errorf("%v syscalls per message: a round trip needs at least %v", *r.SyscallsPerMsg, least)
				}
				if r.SyscallsPerMsg != nil && *r.SyscallsPerMsg <= 0 {
					t.Errorf("%v syscalls per message", *r.SyscallsPerMsg)
				}
			}
			want := []string{"start", "round trip", "stream", "idle", "1 conns", "4 conns"}
			if len(phases) != len(want) {
				t.Errorf("phases %q, want %q", phases, want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	run := func(p50, msgs float64, threads int, sys *float64) []Result {
		return []Result{{Model: "m", Conns: 10, Runs: 1, RTTP50: p50, MsgsPerSec: msgs, Threads: threads, SyscallsPerMsg: sys}}
	}
	got := Median([][]Result{run(10, 300, 9, f(2)), run(30, 100, 11, f(4)), run(20, 200, 100, f(3))})
	if len(got) != 1 {
		t.Fatalf("%d results", len(got))
	}
	r := got[0]
	if r.RTTP50 != 20 || r.MsgsPerSec != 200 || r.Threads != 11 || *r.SyscallsPerMsg != 3 || r.Runs != 3 {
		t.Errorf("median %+v", r)
	}
	// A failed run is reported, not averaged away.
	bad := run(0, 0, 0, nil)
	bad[0].Error = "reset"
	if got := Median([][]Result{run(10, 300, 9, f(2)), bad}); got[0].Error != "reset" || got[0].Runs != 2 {
		t.Errorf("with a failed run: %+v", got[0])
	}
	// A figure some run did not count is not counted.
	if got := Median([][]Result{run(10, 300, 9, f(2)), run(10, 300, 9, nil)}); got[0].SyscallsPerMsg != nil {
		t.Errorf("syscalls counted in only one run: %v", *got[0].SyscallsPerMsg)
	}
}
