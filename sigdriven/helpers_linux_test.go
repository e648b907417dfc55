package sigdriven

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// token is a readier for tests: a one-slot latch and a count.
type token struct {
	c chan struct{}
	n atomic.Int64
}

func newToken() *token { return &token{c: make(chan struct{}, 1)} }

func (t *token) Ready() bool {
	t.n.Add(1)
	select {
	case t.c <- struct{}{}:
	default:
	}
	return false
}

// wait fails the test if no wake-up comes within a generous bound: a hang
// becomes a failure with a message.
func (t *token) wait(tb testing.TB, what string) {
	tb.Helper()
	select {
	case <-t.c:
	case <-time.After(10 * time.Second):
		tb.Fatalf("no wake-up for %s after 10s", what)
	}
}

// drain empties the latch.
func (t *token) drain() {
	select {
	case <-t.c:
	default:
	}
}

// streamPair is a stream socketpair whose ends close when the test ends.
func streamPair(tb testing.TB) (a, b int) {
	tb.Helper()
	a, b = socketpair(tb, unix.SOCK_STREAM)
	tb.Cleanup(func() {
		unix.Close(a)
		unix.Close(b)
	})
	return a, b
}

// registered is register's registration of fd, failing tb if register
// fails; it is unregistered when the test ends (before a streamPair made
// earlier closes).
func registered(tb testing.TB, fd, sig int, r, w readier) *registration {
	tb.Helper()
	reg, err := register(fd, sig, r, w)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(reg.unregister)
	return reg
}

// socketpair is an AF_UNIX socketpair of type typ.
func socketpair(tb testing.TB, typ int) (a, b int) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return fds[0], fds[1]
}

// taskMasks reads the SigBlk and SigPnd masks of every thread of this
// process from /proc/self/task/*/status (proc(5)).
func taskMasks(tb testing.TB) map[int][2]uint64 {
	tb.Helper()
	dirs, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		tb.Fatal(err)
	}
	m := make(map[int][2]uint64)
	for _, dir := range dirs {
		tid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		f, err := os.Open(filepath.Join(dir, "status"))
		if err != nil {
			continue // the thread exited meanwhile
		}
		var masks [2]uint64
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			i := map[string]int{"SigBlk": 0, "SigPnd": 1}
			if j, ok := i[k]; ok {
				x, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if err != nil {
					tb.Fatalf("%s: %s: %v", dir, k, err)
				}
				masks[j] = x
			}
		}
		f.Close()
		m[tid] = masks
	}
	return m
}

// holdDispatcher makes every dispatcher thread stop before its next read
// of the signalfd until release is called; entered receives each time a
// thread stops there.
func holdDispatcher(tb testing.TB) (entered <-chan struct{}, release func()) {
	e := make(chan struct{}, 16)
	hold := make(chan struct{})
	var once atomic.Bool
	f := func() {
		if once.Load() {
			return
		}
		e <- struct{}{}
		<-hold
	}
	beforeRead.Store(&f)
	release = func() {
		if once.CompareAndSwap(false, true) {
			beforeRead.Store(nil)
			close(hold)
		}
	}
	tb.Cleanup(release)
	return e, release
}

func currentDispatcher(tb testing.TB, sig int) *dispatcher {
	tb.Helper()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	d := registry.m[sig]
	if d == nil {
		tb.Fatalf("no dispatcher for signal %d", sig)
	}
	return d
}

// procMasksRenumbered says why this process's signal masks in /proc do
// not show signal sig under its own number, or "" if they do. Natively
// they do; qemu-user delivers the guest's real-time signals through other
// host signals (it keeps the highest for itself), and /proc shows the
// host's. It blocks sig on a locked thread for a moment and reads that
// thread's SigBlk back.
func procMasksRenumbered(tb testing.TB, sig int) string {
	tb.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	sigaddset(&set, sig)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		tb.Fatal(err)
	}
	m := taskMasks(tb)[unix.Gettid()]
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if sigismember(m[0], sig) {
		return ""
	}
	return fmt.Sprintf("signal %d blocked on thread %d shows in /proc as SigBlk %016x: the masks in /proc are not numbered as this process's signals (an emulator, such as qemu-user, that maps real-time signals to other host signals)", sig, unix.Gettid(), m[0])
}
