package nonblock_test

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/nonblock"
)

// TestAcceptWithManyWaiting: with thousands of Reads waiting for data that
// does not come, a Listener keeps accepting and its connections keep being
// served, and the waiting costs less than a core. Beside them, clients
// (package net's) connect, make a round trip and close, in turns against
// this package's Listener and package net's, in the same process: ours
// must complete at least an eighth as many (it completed about half as many
// on a shared 2-CPU machine; a starved Listener, a few hundredths). Then, with nothing else to
// do, the waiting Reads must take under three quarters of a CPU and must
// not have been woken: only the poller asks about their descriptors. When
// every waiting call asked again on its own back-off, 5000 of them were
// woken 100 000 to 170 000 times a second and took 37–103 % of a CPU on a
// shared 2-CPU machine (all it would give them).
func TestAcceptWithManyWaiting(t *testing.T) {
	const waiting = 5000
	raiseNofile(t, 2*waiting+500)
	l, err := nonblock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ours := echoServer(t, l)
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	control := echoServer(t, nl)

	var wg sync.WaitGroup
	conns := make([]*nonblock.Conn, 0, waiting)
	peers := make([]int, 0, waiting)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		for _, fd := range peers {
			unix.Close(fd)
		}
		waitGroup(t, &wg, "the waiting Reads to end after Close")
	}()
	for range waiting {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := nonblock.New(fds[0])
		if err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			t.Fatal(err)
		}
		conns, peers = append(conns, c), append(peers, fds[1])
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
				t.Errorf("a waiting Read ended with %v, want net.ErrClosed", err)
			}
		}()
	}

	// Every Read is parked once it has waited once.
	for _, c := range conns {
		for deadline := time.Now().Add(time.Minute); c.Stats().Read.Waits == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("waited a minute for the Reads to wait")
			}
		}
	}

	// Paired, interleaved turns: whatever else the machine does falls on
	// both alike.
	var got, want int64
	for range 4 {
		got += churn(t, ours, 250*time.Millisecond)
		want += churn(t, control, 250*time.Millisecond)
	}
	t.Logf("beside %d waiting Reads, connect, round trip, close in 1 s: %d on this package's Listener, %d on package net's", waiting, got, want)
	if got*8 < want {
		t.Errorf("beside %d waiting Reads, %d connect, round trip, close cycles in 1 s on this package's Listener; want at least an eighth of package net's %d", waiting, got, want)
	}

	waits := func() (n uint64) {
		for _, c := range conns {
			n += c.Stats().Read.Waits
		}
		return n
	}
	w0, cpu, start := waits(), cpuTime(t), time.Now()
	time.Sleep(time.Second) // the span measured, not a synchronization
	share := float64(cpuTime(t)-cpu) / float64(time.Since(start))
	woken := waits() - w0
	t.Logf("%d Reads waiting, nothing else, for 1 s: %.0f%% of a CPU, woken %d times", waiting, 100*share, woken)
	if share > 0.75 {
		t.Errorf("%d Reads waiting took %.0f%% of a CPU; want at most 75%%", waiting, 100*share)
	}
	if woken > 0 {
		t.Errorf("%d Reads waiting for data that never came were woken %d times in 1 s; want 0", waiting, woken)
	}
}

// cpuTime is the CPU time the process has spent, user and system.
func cpuTime(t *testing.T) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// churn has clients connect to addr, make a 64-byte round trip and close,
// for d, and reports how many such cycles completed.
func churn(t *testing.T, addr string, d time.Duration) int64 {
	t.Helper()
	var done atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, buf := make([]byte, 64), make([]byte, 64)
			for time.Now().Before(stop) {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				_, err = c.Write(msg)
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				c.Close()
				if err != nil {
					t.Errorf("round trip: %v", err)
					return
				}
				done.Add(1)
			}
		}()
	}
	waitGroup(t, &wg, "the clients to end")
	return done.Load()
}

// echoServer serves an echo on l, a goroutine per connection, until the
// test ends, and returns l's address.
func echoServer(t *testing.T, l net.Listener) string {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		waitGroup(t, &wg, "the echo server to end")
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("Accept: %v", err)
				}
				return
			}
			mu.Lock()
			open[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
				mu.Lock()
				delete(open, c)
				mu.Unlock()
			}()
		}
	}()
	return l.Addr().String()
}

// raiseNofile raises the soft limit on descriptors to at least n, or skips
// the test if the hard limit is below it.
func raiseNofile(t *testing.T, n uint64) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("needs %d descriptors; RLIMIT_NOFILE's hard limit is %d", n, lim.Max)
	}
	old := lim
	lim.Cur = n
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// waitGroup waits for wg, failing the test if that takes a minute.
func waitGroup(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("waited a minute for %s", what)
	}
}

// TestErrorQueueDoesNotSpin: a UDP socket with IP_RECVERR keeps an ICMP
// error in its error queue, and poll(2) reports POLLERR for as long as it
// is there, while recvfrom(2) has nothing to read. A ReadFrom waiting
// there must not be woken again and again: once, to find the error
// queue, and then only for data, its deadline or Close. (Each call asking
// on its own back-off waited about 150 times in 300 ms; the poller, until
// it learned to, woke the call on every turn.)
func TestErrorQueueDoesNotSpin(t *testing.T) {
	pc, err := nonblock.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	rc, err := pc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1) }); err != nil || serr != nil {
		t.Fatalf("IP_RECVERR: %v, %v", err, serr)
	}
	gone, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to := gone.LocalAddr()
	gone.Close()
	if _, err := pc.WriteTo([]byte("x"), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := pc.ReadFrom(buf); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("ReadFrom after sending to a closed port: %v, want ECONNREFUSED", err)
	}
	// The ICMP error stays queued: nothing reads MSG_ERRQUEUE.
	before := pc.Stats().Read.Waits
	pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, _, err = pc.ReadFrom(buf)
	waits := pc.Stats().Read.Waits - before
	t.Logf("ReadFrom: %v, after waiting %d times", err, waits)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrom with only an error queue pending: %v, want its deadline", err)
	}
	if waits > 10 {
		t.Errorf("a ReadFrom with only an error queue pending waited %d times in 300 ms; want a few (it was woken for POLLERR again and again)", waits)
	}
}
