//go:build linux

package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestWrkHook: a real wrk run of a second with Script's done hook: the
// figures ParseWrk reads from the hook agree with what the server counted
// (every request wrk completed was served; at most one per connection was
// in flight when wrk stopped) and with each other.
func TestWrkHook(t *testing.T) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk not installed: Debian package wrk")
	}
	var served, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			bad.Add(1)
			http.NotFound(w, r)
			return
		}
		served.Add(1)
		w.Write([]byte("Hello, World!"))
	}))
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "hello.lua")
	if err := os.WriteFile(script, []byte(Script(Shapes[0])), 0o600); err != nil {
		t.Fatal(err)
	}
	const conns = 4
	for _, path := range []string{"/", "/missing"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, wrk, WrkArgs(1, conns, time.Second, 5*time.Second, script, srv.URL+path)...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("wrk on %s: %v: %s", path, err, out)
		}
		w, err := ParseWrk(string(out))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v", path, w)
		count := served.Swap(0)
		if path == "/missing" {
			count = bad.Swap(0)
			if w.Non2xx != w.Requests {
				t.Errorf("%s: %d requests, %d non-2xx: want every one counted", path, w.Requests, w.Non2xx)
			}
		} else if w.Non2xx != 0 {
			t.Errorf("%s: %d non-2xx answers", path, w.Non2xx)
		}
		if w.Requests < 1 || count < w.Requests || count > w.Requests+conns {
			t.Errorf("%s: wrk completed %d requests, the server answered %d: want at most %d more", path, w.Requests, count, conns)
		}
		if w.Duration < 0.9 || w.Duration > 5 || w.ReqPerS != float64(w.Requests)/w.Duration {
			t.Errorf("%s: duration %.3f s, %.0f req/s for %d requests", path, w.Duration, w.ReqPerS, w.Requests)
		}
		if !(0 < w.P50 && w.P50 <= w.P75 && w.P75 <= w.P90 && w.P90 <= w.P99 && w.P99 <= w.P999 && w.P999 <= w.Max) {
			t.Errorf("%s: latencies out of order: p50 %v p75 %v p90 %v p99 %v p99.9 %v max %v", path, w.P50, w.P75, w.P90, w.P99, w.P999, w.Max)
		}
		if w.SocketErrors() != 0 {
			t.Errorf("%s: %d socket errors", path, w.SocketErrors())
		}
	}
}
