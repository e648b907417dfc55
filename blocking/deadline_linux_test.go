package blocking_test

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/blocking"
)

// TestDeadlineReachesSleepingCall: a deadline set while a Recv is on its
// way into recvfrom(2), or asleep there, ends it, every time. The call used
// to record its thread before arming its socket timeout (setsockopt(2),
// after which the goroutine may run on another thread), so SetDeadline's
// signals went to the wrong thread and the Recv slept on: 6 of 40 tries,
// found by a probe written against the public API with package net as the
// control. Each round is a new Conn whose Recv has a deadline to arm, and
// the deadline moves as soon as the Recv shows in a dump of every
// goroutine's stack. The dump stops the world, as a GC or a profiler does,
// and a goroutine in a system call when the world stops comes back from it
// on whichever thread the scheduler gives it.
func TestDeadlineReachesSleepingCall(t *testing.T) {
	const rounds = 100
	for i := range rounds {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := blocking.New(fds[0])
		if err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Hour))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Recv(make([]byte, 1))
			errc <- err
		}()
		awaitStack("blocking.(*Conn).Recv(")
		c.SetReadDeadline(time.Now().Add(-time.Second))
		select {
		case err := <-errc:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("round %d: Recv after its deadline was set in the past: %v, want os.ErrDeadlineExceeded", i, err)
			}
		case <-time.After(10 * time.Second):
			c.Close()
			<-errc
			t.Fatalf("round %d: a deadline set in the past did not reach the pending Recv within 10 s", i)
		}
		c.Close()
		unix.Close(fds[1])
	}
}

// awaitStack dumps every goroutine's stack until one shows frame.
func awaitStack(frame string) {
	buf := make([]byte, 1<<20)
	for !strings.Contains(string(buf[:runtime.Stack(buf, true)]), frame) {
	}
}
