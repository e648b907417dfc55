package sigdriven

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestThreads: thousands of Conns blocked in Recv hold no thread each:
// they sleep as goroutines, and one dispatcher thread sleeps in read(2)
// for all of them. Run in a child process, so that threads other tests
// left behind (the runtime keeps idle ones) do not count.
func TestThreads(t *testing.T) {
	if !inChild("TestThreads") {
		logChildReport(t, runChild(t, "TestThreads", "-test.short="+strconv.FormatBool(testing.Short())), "threads=")
		return
	}
	n := 5000
	if testing.Short() {
		n = 1000
	}
	// sysmon, the template thread, the dispatcher, and spare Ms: the
	// runtime starts an M for each P it takes from a thread kept in a
	// system call (setting up thousands of socketpairs, on a loaded
	// machine) and keeps it idle afterwards. 6 failed once, with 10
	// threads, beside two other test suites; a thread per sleeping Recv
	// would be thousands.
	const slack = 12
	conns := make([]*Conn, n)
	peers := make([]int, n)
	for i := range conns {
		a, b := socketpair(t, unix.SOCK_STREAM)
		c, err := New(b)
		if err != nil {
			t.Fatal(err)
		}
		conns[i], peers[i] = c, a
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 8)
			k, err := c.Recv(buf)
			if err != nil || string(buf[:k]) != strconv.Itoa(i%10) {
				errs <- fmt.Errorf("conn %d: %q, %v", i, buf[:k], err)
			}
		}()
	}
	// Wait until every Recv is asleep in its wait.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		waiting := 0
		for _, c := range conns {
			if c.Stats().Read.Waits > 0 {
				waiting++
			}
		}
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d Recvs reached their wait", waiting, n)
		}
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	limit := runtime.GOMAXPROCS(0) + slack
	t.Logf("threads=%d with %d Recvs pending (GOMAXPROCS %d, limit %d)", len(tasks), n, runtime.GOMAXPROCS(0), limit)
	if len(tasks) > limit {
		t.Errorf("%d threads for %d pending Recvs, want at most %d", len(tasks), n, limit)
	}
	for i, a := range peers {
		unix.Write(a, []byte(strconv.Itoa(i%10)))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, c := range conns {
		c.Close()
		unix.Close(peers[i])
	}
}

// TestReuseUnderLoad: Conns are closed while signals for them are queued
// and their numbers are reused at once by new Conns, next to a busy pair;
// every byte reaches the Conn it was sent to.
func TestReuseUnderLoad(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	// A busy pair keeps the dispatcher thread working and signals queued.
	ba, bb := socketpair(t, unix.SOCK_STREAM)
	busy, err := New(bb)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				unix.Close(ba)
				return
			default:
				unix.Write(ba, []byte("b"))
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			if _, err := busy.Recv(buf); err != nil {
				return
			}
		}
	}()
	before := Signals()
	for i := 0; i < rounds; i++ {
		// An old Conn with signals queued for it, closed unread.
		oa, ob := socketpair(t, unix.SOCK_STREAM)
		old, err := New(ob)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 3; k++ {
			unix.Write(oa, []byte("stale"))
		}
		old.Close()
		unix.Close(oa)
		// A new pair, very likely on the same numbers.
		na, nb := socketpair(t, unix.SOCK_STREAM)
		c, err := New(nb)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte(fmt.Sprintf("msg %d", i))
		go unix.Write(na, msg)
		got := make([]byte, 64)
		n, err := c.Recv(got)
		if err != nil || !bytes.Equal(got[:n], msg) {
			t.Fatalf("round %d: fd %d got %q, %v; want %q", i, nb, got[:n], err, msg)
		}
		c.Close()
		unix.Close(na)
	}
	close(stop)
	busy.Close()
	wg.Wait()
	after := Signals()
	t.Logf("signals=%d stale=%d spurious=%d unfenced=%d", after.Signals-before.Signals, after.Stale-before.Stale, after.Spurious-before.Spurious, after.Unfenced-before.Unfenced)
}
