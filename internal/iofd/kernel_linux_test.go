package iofd

import (
	"testing"
	"time"
)

// TestSleptCallYields: in the blocking model a Recv that slept in the
// kernel gives up its P when it comes back (leaveKernel, sleptYield), so
// that calls whose P was retaken meanwhile are not overtaken by it.
func TestSleptCallYields(t *testing.T) {
	fd, peer := tcpPair(t, modes[1])
	if fd.Mode != Blocking {
		t.Fatalf("modes[1] is %v, want the blocking mode", fd.Mode)
	}
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
		_, err := fd.Recv(make([]byte, 8))
		got <- err
	}()
	// Send only once the Recv has been in the kernel for well over
	// sleptYield: it is asleep there, waiting for these bytes.
	for fd.Read.k.kernel.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	entered := time.Now()
	for time.Since(entered) < 50*time.Duration(sleptYield) {
		time.Sleep(time.Millisecond)
	}
	if _, err := peer.Write([]byte("wake")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	select {
	case <-yields:
	default:
		t.Error("a Recv that slept in the kernel came back without yielding its P")
	}
}
