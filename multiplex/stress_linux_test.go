package multiplex_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// full runs the stress tests at the sizes of issue 3 (2000 pairs × 1 MiB
// each way, 100k ping-pongs per backend): about two minutes on two cores,
// so not by default (go test ./multiplex -run 'Stress|LostWakeups' -full).
var full = flag.Bool("full", false, "run the stress tests at full size")

// scale picks a size for -short (and -race, which is ten times slower),
// the default, or -full.
func scale(short, normal, fullSize int) int {
	switch {
	case *full:
		return fullSize
	case testing.Short() || raceEnabled:
		return short
	}
	return normal
}

func newPoller(t testing.TB, b multiplex.Backend) *multiplex.Poller {
	t.Helper()
	p, err := multiplex.NewPoller(multiplex.WithBackend(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// connPair is a unix stream socketpair, both ends Conns on p.
func connPair(t testing.TB, p *multiplex.Poller) (a, b *multiplex.Conn) {
	t.Helper()
	fa, fb := rawPair(t)
	a, err := multiplex.New(fa, multiplex.WithPoller(p))
	if err != nil {
		t.Fatal(err)
	}
	b, err = multiplex.New(fb, multiplex.WithPoller(p))
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// streamOf is the byte stream number seed: the sender and the receiver
// regenerate it independently, so 2000 pairs need no 2000 copies of it.
func streamOf(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], strconv.FormatUint(seed, 10))
	return rand.NewChaCha8(s)
}

// sendStream sends size bytes of stream seed in random chunks.
func sendStream(c *multiplex.Conn, seed uint64, size int) error {
	src := streamOf(seed)
	r := rand.New(rand.NewPCG(seed, 1))
	buf := make([]byte, 64<<10)
	for sent := 0; sent < size; {
		n := min(1+r.IntN(len(buf)), size-sent)
		src.Read(buf[:n])
		if _, err := c.Send(buf[:n]); err != nil {
			return fmt.Errorf("send at %d: %w", sent, err)
		}
		sent += n
	}
	return nil
}

// recvStream receives size bytes into random-sized buffers and checks them
// against stream seed, byte for byte.
func recvStream(c *multiplex.Conn, seed uint64, size int) error {
	want := streamOf(seed)
	r := rand.New(rand.NewPCG(seed, 2))
	buf := make([]byte, 64<<10)
	exp := make([]byte, len(buf))
	for got := 0; got < size; {
		n, err := c.Recv(buf[:1+r.IntN(len(buf))])
		if err != nil {
			return fmt.Errorf("recv at %d of %d: %w", got, size, err)
		}
		if got+n > size {
			return fmt.Errorf("received %d bytes, more than the %d sent", got+n, size)
		}
		want.Read(exp[:n])
		if !bytes.Equal(buf[:n], exp[:n]) {
			return fmt.Errorf("bytes %d–%d differ (-want +got):\n%s", got, got+n, cmp.Diff(exp[:n], buf[:n]))
		}
		got += n
	}
	return nil
}

// threadGone waits for thread tid to leave /proc/self/task: the runtime
// ends a locked thread just after its goroutine has returned, so this is a
// short wait for a condition, failing after 10 s.
func threadGone(tid int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); err != nil {
			return true
		}
	}
	return false
}

// TestStress streams random chunks both ways through many pairs on one
// Poller, byte-exact; afterwards every fd and the poller thread are gone.
func TestStress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend multiplex.Backend
		pairs   int
		opt     multiplex.PollerOption
	}{
		{"epoll", multiplex.Epoll, 2000, nil},
		{"epoll-locked", multiplex.Epoll, 2000, multiplex.WithLockedThread()},
		{"epoll-4shards", multiplex.Epoll, 2000, multiplex.WithShards(4)},
		{"poll", multiplex.Poll, 2000, nil},
		{"select", multiplex.Select, 400, nil}, // 800 fds: select stops at FD_SETSIZE
	} {
		t.Run(tc.name, func(t *testing.T) {
			pairs := scale(tc.pairs/10, tc.pairs, tc.pairs)
			size := scale(32<<10, 64<<10, 1<<20)
			before := openFDCount(t)
			opts := []multiplex.PollerOption{multiplex.WithBackend(tc.backend)}
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			p, err := multiplex.NewPoller(opts...)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 4*pairs)
			conns := make([]*multiplex.Conn, 0, 2*pairs)
			for i := range pairs {
				a, b := connPair(t, p)
				conns = append(conns, a, b)
				sa, sb := uint64(2*i), uint64(2*i+1)
				wg.Go(func() { errs <- sendStream(a, sa, size) })
				wg.Go(func() { errs <- recvStream(b, sa, size) })
				wg.Go(func() { errs <- sendStream(b, sb, size) })
				wg.Go(func() { errs <- recvStream(a, sb, size) })
			}
			wg.Wait()
			close(errs)
			n := 0
			for err := range errs {
				if err != nil && n < 5 {
					t.Error(err)
					n++
				}
			}
			for _, c := range conns {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}
			tids := multiplex.PollerThreads(p)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if got := openFDCount(t); got != before {
				t.Errorf("after closing everything: %d fds open, want %d", got, before)
			}
			for _, tid := range tids {
				// Only a locked poller's thread ends with it; an unlocked
				// one's goes back to the runtime (goleak checks that its
				// goroutine is gone). The exception: a poller that ran on
				// the main thread leaves it parked, as the runtime must
				// keep the main thread (see mexit in runtime/proc.go): no
				// thread is added, none leaks.
				if tid == -1 {
					break
				}
				if tid != os.Getpid() && (tid == 0 || !threadGone(tid)) {
					stat, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
					t.Errorf("poller thread %d still alive after Close: %s", tid, stat)
				}
			}
			st := p.Stats()
			t.Logf("%d pairs × %d bytes each way: %d waits, %d events, %d interest changes", pairs, size, st.Waits, st.Events, st.Changes)
		})
	}
}

func threads(t testing.TB) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// TestThreads blocks 5000 Recvs and checks that they hold no OS thread each:
// while they wait, the process has at most a small constant more threads
// than before they started (the poller's, and an M or two the scheduler
// wakes). Run on its own, that is GOMAXPROCS + about 6 in all (the log
// says); the bound is relative because threads the runtime started for
// earlier tests in the same process (with -count, say) stay in its pool of
// idle Ms and count in /proc/self/status, though these Recvs do not hold
// them. Then each Recv completes when its peer writes.
func TestThreads(t *testing.T) {
	const added = 4 // the poller's thread, and Ms started to run the Recvs
	for _, backend := range []multiplex.Backend{multiplex.Epoll, multiplex.Poll} {
		t.Run(backend.String(), func(t *testing.T) {
			n := 5000
			p := newPoller(t, backend)
			defer p.Close()
			conns := make([]*multiplex.Conn, n)
			peers := make([]int, n)
			for i := range n {
				a, b := rawPair(t)
				c, err := multiplex.New(a, multiplex.WithPoller(p))
				if err != nil {
					unix.Close(a)
					unix.Close(b)
					t.Fatal(err)
				}
				conns[i], peers[i] = c, b
			}
			defer func() {
				for i := range n {
					conns[i].Close()
					unix.Close(peers[i])
				}
			}()
			before := threads(t)
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for _, c := range conns {
				wg.Go(func() {
					buf := make([]byte, 8)
					m, err := c.Recv(buf)
					if err == nil && string(buf[:m]) != "wake" {
						err = fmt.Errorf("got %q, want %q", buf[:m], "wake")
					}
					errs <- err
				})
			}
			// Wait until every Recv is asleep: each counts its wait.
			for waiting := 0; waiting < n; {
				waiting = 0
				for _, c := range conns {
					if c.Stats().Read.Waits > 0 {
						waiting++
					}
				}
				runtime.Gosched()
			}
			got := threads(t)
			t.Logf("%d Recvs waiting: %d OS threads, %d before they started (GOMAXPROCS %d)", n, got, before, runtime.GOMAXPROCS(0))
			if got > before+added {
				t.Errorf("%d Recvs waiting: %d OS threads, %d before they started; want at most %d more", n, got, before, added)
			}
			for _, fd := range peers {
				if _, err := unix.Write(fd, []byte("wake")); err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestLostWakeups plays ping-pong with random delays on both sides, so that
// readiness lands at every point of the EAGAIN-then-wait window. A lost
// wake-up would leave a Recv asleep: its deadline turns that into a failure.
func TestLostWakeups(t *testing.T) {
	for _, tc := range pollerKinds {
		t.Run(tc.name, func(t *testing.T) {
			rounds := scale(2000, 5000, 100_000)
			p, err := multiplex.NewPoller(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			a, b := connPair(t, p)
			defer a.Close()
			defer b.Close()
			delay := func(r *rand.Rand) {
				switch k := r.IntN(16); {
				case k < 8:
				case k < 14:
					for range k {
						runtime.Gosched()
					}
				default:
					time.Sleep(time.Duration(r.IntN(20)) * time.Microsecond)
				}
			}
			pingpong := func(c *multiplex.Conn, seed uint64, first bool) error {
				r := rand.New(rand.NewPCG(seed, seed))
				buf := make([]byte, 1)
				for i := range rounds {
					if first {
						delay(r)
						if _, err := c.Send([]byte{byte(i)}); err != nil {
							return err
						}
					}
					c.SetReadDeadline(time.Now().Add(10 * time.Second))
					if _, err := c.Recv(buf); err != nil {
						if errors.Is(err, os.ErrDeadlineExceeded) {
							return fmt.Errorf("round %d: no wake-up in 10 s: %w", i, err)
						}
						return err
					}
					if buf[0] != byte(i) {
						return fmt.Errorf("round %d: got %d", i, buf[0])
					}
					if !first {
						delay(r)
						if _, err := c.Send(buf); err != nil {
							return err
						}
					}
				}
				return nil
			}
			var wg sync.WaitGroup
			var errA, errB error
			wg.Go(func() { errA = pingpong(a, 1, true) })
			wg.Go(func() { errB = pingpong(b, 2, false) })
			wg.Wait()
			if errA != nil || errB != nil {
				t.Fatalf("A: %v; B: %v", errA, errB)
			}
		})
	}
}
