package main

import (
	"context"
	"encoding/csv"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/uring"
)

// TestAsyncUnavailable: where io_uring is forbidden, the bench shows async
// as unavailable with the reason and goes on; serve and send refuse it with
// status 2.
func TestAsyncUnavailable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to run as the program: %v", err)
	}
	cmd := command(context.Background(), self, "bench", "-models", "async,net", "-conns", "2", "-duration", "10ms", "-chunk", "4096", "-format", "csv", "-progress=false")
	cmd.Env = append(cmd.Env, "IOMODEL_FORCE_NO_URING=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV %q: %v", out, err)
	}
	if async := recs[1]; async[0] != "async" || !strings.HasPrefix(async[2], "unavailable: ") || !strings.Contains(async[2], "EPERM") && !strings.Contains(async[2], "not permitted") {
		t.Errorf("async row %q", async)
	}
	if net := recs[2]; net[0] != "net" || net[2] != "ok" {
		t.Errorf("net row %q", net)
	}

	restore := uring.ForceSetupError(unix.EPERM)
	defer restore()
	r := runArgs(t, "bench", "-models", "async,blocking", "-conns", "2", "-duration", "10ms", "-chunk", "4096", "-progress=false", "-isolate=false")
	if r.code != 0 || !regexp.MustCompile(`(?m)^async +unavailable: io_uring_setup\(2\) is denied`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^async: +not measured: `).MatchString(r.stdout) {
		t.Errorf("table (status %d, stderr %q):\n%s", r.code, r.err, r.stdout)
	}
	for _, args := range [][]string{
		{"serve", "-model", "async", "127.0.0.1:0"},
		{"send", "-model", "async", "127.0.0.1:1", "hi"},
	} {
		r := runArgs(t, args...)
		if r.code != 2 || !strings.Contains(r.err, "model async is unavailable here") {
			t.Errorf("iomodel %q: status %d, stderr %q", args, r.code, r.err)
		}
	}
}
