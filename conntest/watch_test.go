package conntest

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel/internal/selfexec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// watchChild, set in a child's environment, makes TestWatchCoversCleanups
// the child: a subtest whose cleanup never returns.
const watchChild = "IOMODEL_CONNTEST_WATCH_CHILD"

// TestWatchCoversCleanups: the watchdog catches a subtest whose cleanup
// hangs, not only its body, and names it. The child runs watch with a
// cleanup that never returns and must die of the watchdog's panic; before,
// the watchdog stopped when the body returned, and such a subtest hung the
// binary until go test's own timeout, naming nothing.
func TestWatchCoversCleanups(t *testing.T) {
	if os.Getenv(watchChild) != "" {
		Watchdog = 100 * time.Millisecond
		t.Run("stuck", func(t *testing.T) {
			watch(t, "stuck", func() {
				t.Cleanup(func() { select {} })
			})
		})
		return
	}
	cmd, err := selfexec.Command("-test.run=^TestWatchCoversCleanups$")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), watchChild+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), step)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		t.Fatalf("the child still ran %v after its cleanup hung: the watchdog did not fire\n%s", step, out.Bytes())
	}
	if err == nil {
		t.Fatalf("the child passed with a cleanup that never returns\n%s", out.Bytes())
	}
	if want := "conntest: TestWatchCoversCleanups/stuck (stuck) hung for 100ms"; !bytes.Contains(out.Bytes(), []byte(want)) {
		t.Fatalf("the child ended (%v) without saying %q:\n%s", err, want, out.Bytes())
	}
}
