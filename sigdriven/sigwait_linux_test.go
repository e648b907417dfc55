package sigdriven

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/loop"
	"golang.org/x/sys/unix"
)

// onSigWaiter runs f on a new sigWaiter's thread, as a loop of the
// Engine does, and returns f's error; it fails t if f takes longer than
// limit.
func onSigWaiter(t *testing.T, limit time.Duration, f func(w *sigWaiter) error) {
	t.Helper()
	w, err := newSigWaiter(DefaultSignal)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	w.Go(func() {
		err := f(w)
		w.Close()
		done <- err
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(limit):
		t.Fatalf("the loop did not finish within %v", limit)
	}
}

// waitFDs is one Wait, reported as descriptor numbers (the tags are the
// numbers here).
func waitFDs(w *sigWaiter, d time.Duration) ([]int, error) {
	evs := make([]loop.Event, 256)
	n, err := w.Wait(evs, d)
	var fds []int
	for _, ev := range evs[:n] {
		fds = append(fds, int(ev.Tag))
	}
	return fds, err
}

// streamPairs makes n stream socketpairs, closed when the test ends: rs
// are the ends a waiter watches, ws their peers.
func streamPairs(t *testing.T, n int) (rs, ws []int) {
	t.Helper()
	rs, ws = make([]int, n), make([]int, n)
	for i := range rs {
		rs[i], ws[i] = streamPair(t)
	}
	return rs, ws
}

// addReaders adds each of fds to w for reading, tagged with its number,
// and returns the function that removes them; when an Add fails, it
// removes those it added and returns the error.
func addReaders(w *sigWaiter, fds []int) (remove func(), err error) {
	added := 0
	remove = func() {
		for _, fd := range fds[:added] {
			w.Remove(fd)
		}
	}
	for _, fd := range fds {
		if err := w.Add(fd, loop.Read, uint64(fd)); err != nil {
			remove()
			return nil, err
		}
		added++
	}
	return remove, nil
}

// TestSigWaiterPrecise: a byte written to one of several descriptors is
// reported for that descriptor alone, by its signal; a wait with nothing
// to report ends at its timeout; wake from another goroutine ends a sleep
// with no limit.
func TestSigWaiterPrecise(t *testing.T) {
	const n = 8
	rs, ws := streamPairs(t, n)
	onSigWaiter(t, 10*time.Second, func(w *sigWaiter) error {
		remove, err := addReaders(w, rs)
		if err != nil {
			return err
		}
		defer remove()
		before := Signals()
		// Added descriptors are reported once, without a signal.
		got, err := waitFDs(w, 0)
		if err != nil {
			return err
		}
		if len(got) != n {
			return fmt.Errorf("after add: reported %v, want all %d", got, n)
		}
		start := time.Now()
		if got, err = waitFDs(w, 20*time.Millisecond); err != nil {
			return err
		}
		if len(got) != 0 || time.Since(start) < 20*time.Millisecond {
			return fmt.Errorf("idle wait: reported %v after %v, want nothing after 20ms", got, time.Since(start))
		}
		for _, i := range []int{3, 5} {
			unix.Write(ws[i], []byte{1})
			if got, err = waitFDs(w, 5*time.Second); err != nil {
				return err
			}
			if len(got) != 1 || got[0] != rs[i] {
				return fmt.Errorf("byte to fd %d: reported %v", rs[i], got)
			}
			unix.Read(rs[i], make([]byte, 8))
		}
		woke := make(chan struct{})
		go func() { <-woke; w.Wake() }()
		close(woke)
		if got, err = waitFDs(w, -1); err != nil {
			return err
		}
		if len(got) != 0 {
			return fmt.Errorf("woken: reported %v", got)
		}
		if n := Signals().Signals - before.Signals; n != 2 {
			return fmt.Errorf("%d readiness signals, want 2", n)
		}
		return nil
	})
}

// TestSigWaiterOverflow: with RLIMIT_SIGPENDING lowered (in a child
// process: the limit is the whole process's), bytes to 200 descriptors
// while the loop is not reading overflow the real-time queue; the kernel
// sends SIGIO instead, the waiter rescans, and every byte is read.
func TestSigWaiterOverflow(t *testing.T) {
	if !inChild("TestSigWaiterOverflow") {
		logChildReport(t, runChild(t, "TestSigWaiterOverflow"), "overflows=")
		return
	}
	const conns, limit, rounds = 200, 16, 20
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	rs, ws := streamPairs(t, conns)
	onSigWaiter(t, 30*time.Second, func(w *sigWaiter) error {
		remove, err := addReaders(w, rs)
		if err != nil {
			return err
		}
		defer remove()
		before := Signals()
		got := make(map[int]int)
		buf := make([]byte, 4096)
		var rerr error
		drain := func(fd int) {
			for {
				n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
				if err == unix.EAGAIN {
					return
				}
				if err != nil || n == 0 {
					rerr = fmt.Errorf("read fd %d: %d, %v", fd, n, err)
					return
				}
				got[fd] += n
			}
		}
		wait := func(d time.Duration) error {
			fds, err := waitFDs(w, d)
			for _, fd := range fds {
				drain(fd)
			}
			return err
		}
		if err := wait(0); err != nil {
			return err
		}
		// The loop does not read while the bytes go out: far more than 16
		// signals are due.
		for k := 0; k < rounds; k++ {
			for _, fd := range ws {
				if _, err := unix.Write(fd, []byte{byte(k)}); err != nil {
					return err
				}
			}
		}
		total := func() int {
			s := 0
			for _, n := range got {
				s += n
			}
			return s
		}
		deadline := time.Now().Add(10 * time.Second)
		for total() < conns*rounds {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d bytes read after 10s (overflows %d)", total(), conns*rounds, Signals().Overflows-before.Overflows)
			}
			if err := wait(time.Second); err != nil {
				return err
			}
			if rerr != nil {
				return rerr
			}
		}
		for _, fd := range rs {
			if got[fd] != rounds {
				return fmt.Errorf("fd %d: %d bytes, want %d", fd, got[fd], rounds)
			}
		}
		after := Signals()
		fmt.Printf("overflows=%d signals=%d stale=%d\n", after.Overflows-before.Overflows, after.Signals-before.Signals, after.Stale-before.Stale)
		if after.Overflows == before.Overflows {
			return errors.New("the real-time queue never overflowed (no SIGIO read)")
		}
		return nil
	})
}
