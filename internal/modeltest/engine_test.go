package modeltest

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// refused is an Engine whose constructor always fails.
type refused struct{}

func (*refused) Serve(net.Listener) error       { return nil }
func (*refused) Shutdown(context.Context) error { return nil }
func (*refused) Stats() (s iomodel.EngineStats) { return s }
func newRefused(iomodel.Handler, iomodel.EngineConfig, ...int) (*refused, error) {
	return nil, errors.New("refused")
}

// TestOfError: when the model's NewEngine fails, Of's answers a nil
// Engine, not a nil *Engine inside a non-nil interface (which a caller's
// "e != nil" would take for an engine).
func TestOfError(t *testing.T) {
	e, err := Of(newRefused)(Echo{}, iomodel.EngineConfig{})
	if e != nil || err == nil {
		t.Fatalf("Of(a failing NewEngine): %#v, %v; want nil and the error", e, err)
	}
}

// TestGroupReportsEveryError: once all have returned, Wait reports each
// function's error and fails the test now.
func TestGroupReportsEveryError(t *testing.T) {
	var errs []string
	ok := t.Run("group", func(t *testing.T) {
		rt := &recorder{TB: t}
		var g Group
		for _, msg := range []string{"one", "two"} {
			g.Go(func() error { return errors.New(msg) })
		}
		g.Go(func() error { return nil })
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.Wait(rt, Step, "three functions")
		}()
		Within(t, done, "Wait's return")
		errs = rt.errs
		if !rt.failedNow {
			t.Error("Wait returned after errors; want it to fail the test now")
		}
	})
	if !ok {
		t.Fatal("the subtest failed itself; the recorder should have taken the failures")
	}
	if len(errs) != 2 {
		t.Errorf("Wait reported %q, want the two errors", errs)
	}
}

// recorder is a testing.TB that records Error calls and ends the
// goroutine at FailNow as testing.T does.
type recorder struct {
	testing.TB
	errs      []string
	failedNow bool
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	for _, a := range args {
		r.errs = append(r.errs, a.(error).Error())
	}
}
func (r *recorder) FailNow() {
	r.failedNow = true
	runtime.Goexit()
}
