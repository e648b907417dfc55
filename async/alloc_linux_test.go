package async

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestZeroAllocs: Send and Recv allocate nothing in steady state, on the
// caller's own system call and through the ring alike (the request is the
// Conn's, reused; the loop's Op is not allocated per hand-over).
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	for _, tc := range []struct {
		name string
		opts []Option
	}{{"speculative", nil}, {"ring-only", []Option{WithRingOnly()}}} {
		t.Run(tc.name, func(t *testing.T) {
			r := ownRing(t, 0)
			a, b := pair(t, unix.SOCK_STREAM, append(tc.opts, WithRing(r))...)
			// b echoes: a's Recv waits for the echo, so it goes to the
			// ring whenever the echo is not back at once.
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 64)
				for {
					n, err := b.Recv(buf)
					if err != nil {
						return
					}
					if _, err := b.Send(buf[:n]); err != nil {
						return
					}
				}
			}()
			msg, buf := make([]byte, 64), make([]byte, 64)
			roundTrip := func() {
				if _, err := a.Send(msg); err != nil {
					t.Fatal(err)
				}
				for got := 0; got < len(msg); {
					n, err := a.Recv(buf[got:])
					if err != nil {
						t.Fatal(err)
					}
					got += n
				}
			}
			for range 100 { // warm up: timers, the ring's slices
				roundTrip()
			}
			if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
				t.Errorf("a 64-byte round trip allocates %v times, want 0", n)
			}
			ring0 := r.Stats().Ops
			roundTrip()
			t.Logf("ring operations per round trip: %d (at least 1 expected with WithRingOnly)", r.Stats().Ops-ring0)
			a.Close()
			b.Close()
			<-done
		})
	}
}
