package nonblock

import (
	"fmt"
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/loop"
)

// round collects the tags of one whole round, batch by batch, failing if
// one is asked twice.
func round(t *testing.T, a *asker, batch int) []uint64 {
	t.Helper()
	evs := make([]loop.Event, batch)
	var got []uint64
	seen := map[uint64]bool{}
	for {
		n, err := a.Wait(evs, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[:n] {
			if seen[ev.Tag] {
				t.Fatalf("tag %d asked twice in one round: %v", ev.Tag, got)
			}
			seen[ev.Tag] = true
			got = append(got, ev.Tag)
		}
		if a.next >= len(a.fds) {
			return got
		}
	}
}

// TestAskerRounds: every round asks every watched descriptor exactly once,
// whatever the batch size, with what it is watched for; a descriptor
// removed mid-round is not asked, and one watched for nothing is skipped.
func TestAskerRounds(t *testing.T) {
	a := newAsker(Policy{})
	defer a.Close()
	for fd := 10; fd < 17; fd++ {
		a.Add(fd, loop.Read, uint64(fd))
	}
	for _, batch := range []int{1, 3, 7, 100} {
		if got := round(t, a, batch); len(got) != 7 {
			t.Fatalf("batch %d: round asked %v, want all 7", batch, got)
		}
	}
	a.Modify(12, 0, 12)
	a.Modify(13, loop.Read|loop.Write, 13)
	evs := make([]loop.Event, 2)
	n, _ := a.Wait(evs, 0) // 10, 11
	if n != 2 || evs[0].Tag != 10 || evs[1].Tag != 11 {
		t.Fatalf("first batch %v", evs[:n])
	}
	a.Remove(16) // not yet asked this round
	rest := round(t, a, 100)
	want := fmt.Sprint([]uint64{13, 14, 15})
	if fmt.Sprint(rest) != want {
		t.Fatalf("rest of the round %v, want %s (12 watched for nothing, 16 removed)", rest, want)
	}
	n, _ = a.Wait(evs[:1], 0)
	if n != 1 || evs[0].Tag != 10 {
		t.Fatalf("next round starts with %v", evs[:n])
	}
}

// TestAskerBackoff: a round that found something is followed at once by
// the next; a dry one makes Wait nap, and Wake ends the nap.
func TestAskerBackoff(t *testing.T) {
	a := newAsker(Policy{MinSleep: time.Hour, MaxSleep: time.Hour})
	defer a.Close()
	a.Add(3, loop.Read, 3)
	evs := make([]loop.Event, 8)
	a.Wait(evs, -1) // the first round: 3, which Add marked to ask at once
	a.Found(1)
	a.Wait(evs, -1) // found something: no nap
	if a.Naps != 0 {
		t.Fatalf("%d naps after a round that found something", a.Naps)
	}
	a.Found(0)
	done := make(chan int, 1)
	go func() {
		n, _ := a.Wait(evs, -1) // dry: naps until woken
		done <- n
	}()
	deadline := time.After(10 * time.Second)
	for woken := false; !woken; {
		a.Wake()
		select {
		case <-done:
			woken = true
		case <-time.After(time.Millisecond):
		case <-deadline:
			t.Fatal("Wake did not end the nap within 10s")
		}
	}
	if a.Naps != 1 {
		t.Fatalf("%d naps after a dry round, want 1", a.Naps)
	}
}
