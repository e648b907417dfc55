package sigdriven

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/modeltest"
)

// TestOverflow: with RLIMIT_SIGPENDING lowered (in a child process: the
// limit is the whole process's), 200 busy descriptors overflow the
// real-time queue; the kernel falls back to SIGIO, the dispatcher counts
// it and wakes everyone, and no byte is lost.
func TestOverflow(t *testing.T) {
	if !inChild("TestOverflow") {
		logChildReport(t, runChild(t, "TestOverflow"), "signals=")
		return
	}
	const conns, limit = 200, 16
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	type pair struct {
		r, w int
		tok  *token
	}
	pairs := make([]pair, conns)
	for i := range pairs {
		r, w := streamPair(t)
		tok := newToken()
		registered(t, r, DefaultSignal, tok, newToken())
		pairs[i] = pair{r, w, tok}
	}
	before := Signals()

	// Deterministic part: with the thread held away from read(2), one
	// byte to each of 200 descriptors queues far more than 16 signals.
	entered, release := holdDispatcher(t)
	defer release()
	unix.Write(pairs[0].w, []byte{0})
	modeltest.Within(t, entered, "the dispatcher about to read")
	for _, p := range pairs[1:] {
		unix.Write(p.w, []byte{0})
	}
	release()

	// Busy part: readers that wait for their wake-up after EAGAIN, a
	// writer spreading bytes over all of them.
	var g modeltest.Group
	for i := range pairs {
		p := &pairs[i]
		g.Go(func() error {
			buf := make([]byte, 64)
			got := 0
			for got < rounds+1 {
				n, _, _, _, err := unix.Recvmsg(p.r, buf, nil, unix.MSG_DONTWAIT)
				if err == unix.EAGAIN {
					select {
					case <-p.tok.c:
					case <-time.After(10 * time.Second):
						return fmt.Errorf("fd %d: no wake-up after 10s with %d bytes", p.r, got)
					}
					continue
				}
				if err != nil {
					return err
				}
				got += n
			}
			if got != rounds+1 {
				return fmt.Errorf("fd %d: %d bytes, want %d", p.r, got, rounds+1)
			}
			return nil
		})
	}
	for k := 0; k < rounds; k++ {
		for _, p := range pairs {
			if _, err := unix.Write(p.w, []byte{1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each reader gives up after 10 s without a wake-up.
	g.Wait(t, time.Minute, "the readers")
	after := Signals()
	t.Logf("signals=%d overflows=%d precise=%d broadcast=%d", after.Signals-before.Signals, after.Overflows-before.Overflows, after.Precise-before.Precise, after.Broadcast-before.Broadcast)
	if after.Overflows == before.Overflows {
		t.Error("the real-time queue never overflowed (no SIGIO counted)")
	}
}
