package loop

import (
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/modeltest"
)

// tokenBackend is a Backend that watches nothing: its Wait sleeps on a
// token that Wake puts in a channel of one, the contract every Backend
// keeps (a Wake ends the current Wait or the next).
type tokenBackend struct{ c chan struct{} }

func (b *tokenBackend) Add(int, Interest, uint64) error    { return nil }
func (b *tokenBackend) Modify(int, Interest, uint64) error { return nil }
func (b *tokenBackend) Remove(int) error                   { return nil }
func (b *tokenBackend) Close() error                       { return nil }
func (b *tokenBackend) EdgeTriggered() bool                { return false }

func (b *tokenBackend) Wait(_ []Event, timeout time.Duration) (int, error) {
	if timeout == 0 {
		select {
		case <-b.c:
		default:
		}
		return 0, nil
	}
	<-b.c // the test waits only without a bound
	return 0, nil
}

func (b *tokenBackend) Wake() error {
	select {
	case b.c <- struct{}{}:
	default:
	}
	return nil
}

// TestPostNeverLost races a post against a loop that looks at its inbox
// and sleeps (wait), round after round: a post that lands before the
// loop looks, between its look and its Wait, or during it must end that
// Wait or keep the loop from sleeping. One the loop has not seen within
// the round's bound fails it; a Wake of the test's own, past post's
// flags, then ends the sleep.
func TestPostNeverLost(t *testing.T) {
	b := &tokenBackend{c: make(chan struct{}, 1)}
	lp := &rloop{b: b}
	n := modeltest.WakeRounds(t, 500000, time.Second, func() { lp.post(func(*inbox) {}) }, func() {
		for {
			lp.mu.Lock()
			posted := !lp.in.empty()
			lp.in = inbox{}
			lp.mu.Unlock()
			if posted {
				return
			}
			if _, err := lp.wait(-1); err != nil {
				t.Error(err)
				return
			}
		}
	}, func() { b.Wake() })
	t.Logf("%d rounds", n)
}
