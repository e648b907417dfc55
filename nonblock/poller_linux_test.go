package nonblock

import (
	"sync"
	"testing"
	"time"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/modeltest"
	"golang.org/x/sys/unix"
)

// TestPollerNeverStuck races calls that begin to wait against the
// poller's turns, round after round: with another call waiting for good
// on a socket that never becomes ready, the poller naps an hour between
// turns, and each round's call, on a socket with data, must be asked at
// once whether it arrives while the poller naps, asks, or gets ready to
// nap. One the poller has not asked within the round's bound fails it;
// a Ready of the test's own then ends the call's wait.
func TestPollerNeverStuck(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		t.Fatal(err)
	}
	pl := &poller{naps: naps{time.Hour, time.Hour}, kick: make(chan struct{}, 1)}

	// The call that waits for good: fds[1] is never readable.
	var idle iofd.Half
	var idleW pollWait
	var wg sync.WaitGroup
	wg.Go(func() { pl.wait(&idleW, fds[1], &idle) })
	defer func() {
		idle.Ready() // ends the idle call's wait; the poller then ends
		wg.Wait()
	}()

	var h iofd.Half
	var w pollWait
	n := modeltest.WakeRounds(t, 200000, time.Second, func() {
		pl.wait(&w, fds[0], &h)
	}, func() {}, h.Ready)
	t.Logf("%d rounds", n)
}
