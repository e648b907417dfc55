package blocking

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSleptCallYields: a Recv that slept in the kernel gives up its P when
// it comes back (kernelSleep.leaveKernel, sleptYield), so that calls whose P was
// retaken meanwhile are not overtaken by it.
func TestSleptCallYields(t *testing.T) {
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sp[1])
	c, err := New(sp[0])
	if err != nil {
		unix.Close(sp[0])
		t.Fatal(err)
	}
	defer c.Close()
	yields := make(chan struct{}, 16)
	testHookSlept = func() {
		select {
		case yields <- struct{}{}:
		default:
		}
	}
	defer func() { testHookSlept = nil }()

	got := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		got <- err
	}()
	// Send only once the Recv has been in the kernel for well over
	// sleptYield: it is asleep there, waiting for these bytes.
	for c.k.half[0].tid.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	entered := time.Now()
	for time.Since(entered) < 50*time.Duration(sleptYield) {
		time.Sleep(time.Millisecond)
	}
	if _, err := unix.Write(sp[1], []byte("wake")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Recv did not return the bytes written")
	}
	select {
	case <-yields:
	default:
		t.Error("a Recv that slept in the kernel came back without yielding its P")
	}
}
