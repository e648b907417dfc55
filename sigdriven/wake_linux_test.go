package sigdriven

import (
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/loop"
	"github.com/iomodel/iomodel/internal/modeltest"
	"golang.org/x/sys/unix"
)

// TestSigWaiterWakeNeverLost races Wake against the loop's Wait, round
// after round, with a marker (the queue has room) and with the plain
// SIGIO Wake sends when the real-time queue is full: either lands before
// the signalfd read, between it and rt_sigtimedwait, or during the sleep,
// and must end that Wait or the next. A lost one leaves the thread
// asleep: the round fails, and a SIGIO of the test's own ends the sleep.
func TestSigWaiterWakeNeverLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		wake func(w *sigWaiter)
	}{
		{"marker", func(w *sigWaiter) { w.Wake() }},
		{"SIGIO", func(w *sigWaiter) { unix.Tgkill(w.pid, w.tid, unix.SIGIO) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onSigWaiter(t, time.Second+2*modeltest.Step, func(w *sigWaiter) error {
				evs := make([]loop.Event, 8)
				n := modeltest.WakeRounds(t, 100000, time.Second/2, func() { tc.wake(w) }, func() {
					if _, err := w.Wait(evs, -1); err != nil {
						t.Error(err)
					}
				}, func() { unix.Tgkill(w.pid, w.tid, unix.SIGIO) })
				t.Logf("%d rounds", n)
				return nil
			})
		})
	}
}

// TestLatchNeverLost races a latch's Ready (the dispatcher's, or the
// broadcaster's) against the waiting call's wait, round after round: a
// Ready that lands before wait looks at the state, between its look and
// its park, or while it is parked, must end that wait or the next. A
// lost one leaves the call parked: the round fails, and a Ready of the
// Half's own ends the park.
func TestLatchNeverLost(t *testing.T) {
	var h iofd.Half
	l := latch{h: &h}
	n := modeltest.WakeRounds(t, 1000000, time.Second, func() { l.Ready() }, l.wait, h.Ready)
	t.Logf("%d rounds", n)
}

// TestDispatcherStopNeverLost races the last release of a dispatcher
// (stopping set, then a marker) against its thread, just started or
// asleep in read(2), round after round: the thread must see stopping and
// end. A lost wake-up leaves it asleep and release waiting for it: the
// round fails, and a SIGIO of the test's own ends the read.
func TestDispatcherStopNeverLost(t *testing.T) {
	const sig = 50 // no other test's
	d, err := acquire(sig)
	if err != nil {
		t.Fatal(err)
	}
	n := modeltest.WakeRounds(t, 100000, time.Second/2, func() { d.release() }, func() {
		<-d.done
		if d, err = acquire(sig); err != nil {
			t.Fatal(err)
		}
	}, func() { unix.Tgkill(d.pid, d.tid, unix.SIGIO) })
	t.Logf("%d rounds", n)
	released := make(chan struct{})
	go func() { d.release(); close(released) }()
	for {
		select {
		case <-released:
			return
		case <-time.After(modeltest.Step):
			t.Errorf("the last release: the dispatcher slept on %v after its wake-up", modeltest.Step)
			unix.Tgkill(d.pid, d.tid, unix.SIGIO)
		}
	}
}
