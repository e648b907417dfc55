package modeltest

import (
	"sync"
	"testing"
	"time"
)

// Within receives from c, failing t if nothing comes within Step; what
// names what was awaited.
func Within[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(Step):
		t.Fatalf("%s: nothing within %v", what, Step)
		panic("unreachable")
	}
}

// Group runs functions on goroutines of their own and gathers their
// errors, so a test can run many clients at once and fail from its own
// goroutine. The zero Group is ready to use.
type Group struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// Go runs f on a new goroutine; an error it returns fails the test at
// Wait.
func (g *Group) Go(f func() error) {
	g.wg.Go(func() {
		if err := f(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	})
}

// Wait waits for every function started by Go, failing t now if they
// have not all returned within limit (what names them), or if any
// returned an error (each is reported).
func (g *Group) Wait(t testing.TB, limit time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s: not all done within %v", what, limit)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, err := range g.errs {
		t.Error(err)
	}
	if len(g.errs) > 0 {
		t.FailNow()
	}
}
