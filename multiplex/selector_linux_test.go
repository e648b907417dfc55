package multiplex_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

var backends = []struct {
	name string
	open func() (multiplex.Selector, error)
}{
	{"epoll", multiplex.NewEpoll},
	{"poll", multiplex.NewPoll},
	{"select", multiplex.NewSelect},
}

func forEachBackend(t *testing.T, f func(t *testing.T, s multiplex.Selector)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := b.open()
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Backend().String(); got != b.name {
				t.Errorf("Backend() = %q, want %q", got, b.name)
			}
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			f(t, s)
		})
	}
}

// socketpair returns a non-blocking, close-on-exec unix stream pair closed
// at the end of the test.
func socketpair(t testing.TB) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func write(t testing.TB, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// waitOne waits up to a second and returns the events reported.
func waitAll(t *testing.T, s multiplex.Selector, timeout time.Duration) []multiplex.Event {
	t.Helper()
	evs := make([]multiplex.Event, 16)
	n, err := s.Wait(evs, timeout)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return evs[:n]
}

func TestReadable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, b := socketpair(t)
		if err := s.Add(a, multiplex.Readable, 7); err != nil {
			t.Fatal(err)
		}
		if evs := waitAll(t, s, 0); len(evs) != 0 {
			t.Fatalf("before any write: %v, want nothing", evs)
		}
		write(t, b, "x")
		want := []multiplex.Event{{Tag: 7, Events: multiplex.Readable}}
		evs := waitAll(t, s, time.Second)
		if len(evs) != 1 || evs[0] != want[0] {
			t.Fatalf("after write: %v, want %v", evs, want)
		}
		// Level-triggered: still readable until read.
		evs = waitAll(t, s, time.Second)
		if len(evs) != 1 || evs[0] != want[0] {
			t.Fatalf("second Wait: %v, want %v (level-triggered)", evs, want)
		}
		var buf [8]byte
		if _, err := unix.Read(a, buf[:]); err != nil {
			t.Fatal(err)
		}
		if evs := waitAll(t, s, 0); len(evs) != 0 {
			t.Fatalf("after read: %v, want nothing", evs)
		}
	})
}

func TestWritableModifyRemove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, _ := socketpair(t)
		if err := s.Add(a, multiplex.Writable, 1); err != nil {
			t.Fatal(err)
		}
		evs := waitAll(t, s, time.Second)
		if len(evs) != 1 || evs[0] != (multiplex.Event{Tag: 1, Events: multiplex.Writable}) {
			t.Fatalf("Wait = %v, want {1 Writable}", evs)
		}
		if err := s.Modify(a, multiplex.Readable, 2); err != nil {
			t.Fatal(err)
		}
		if evs := waitAll(t, s, 0); len(evs) != 0 {
			t.Fatalf("after Modify(Readable): %v, want nothing", evs)
		}
		if err := s.Modify(a, multiplex.Readable|multiplex.Writable, 3); err != nil {
			t.Fatal(err)
		}
		evs = waitAll(t, s, time.Second)
		if len(evs) != 1 || evs[0] != (multiplex.Event{Tag: 3, Events: multiplex.Writable}) {
			t.Fatalf("after Modify(Readable|Writable, 3): %v, want {3 Writable}", evs)
		}
		if err := s.Remove(a); err != nil {
			t.Fatal(err)
		}
		if evs := waitAll(t, s, 0); len(evs) != 0 {
			t.Fatalf("after Remove: %v, want nothing", evs)
		}
		if err := s.Remove(a); !errors.Is(err, unix.ENOENT) {
			t.Errorf("second Remove: %v, want ENOENT", err)
		}
		if err := s.Modify(a, multiplex.Readable, 1); !errors.Is(err, unix.ENOENT) {
			t.Errorf("Modify after Remove: %v, want ENOENT", err)
		}
	})
}

func TestManyFds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		const n = 50
		fds, peers := make([]int, n), make([]int, n)
		for i := range n {
			a, b := socketpair(t)
			fds[i], peers[i] = a, b
			if err := s.Add(a, multiplex.Readable, uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
		for _, i := range []int{3, 17, 42} {
			write(t, peers[i], "x")
		}
		got := map[uint64]bool{}
		for _, ev := range waitAll(t, s, time.Second) {
			got[ev.Tag] = true
		}
		if len(got) != 3 || !got[3] || !got[17] || !got[42] {
			t.Fatalf("ready tags %v, want 3, 17, 42", got)
		}
		// A buffer smaller than the ready set: the rest come next time.
		evs := make([]multiplex.Event, 1)
		seen := map[uint64]bool{}
		for range 3 {
			n, err := s.Wait(evs, time.Second)
			if err != nil || n != 1 {
				t.Fatalf("Wait(1) = %d, %v", n, err)
			}
			seen[evs[0].Tag] = true
			var buf [1]byte
			if _, err := unix.Read(fds[evs[0].Tag], buf[:]); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 3 {
			t.Fatalf("one event at a time saw %v, want 3 different tags", seen)
		}
		if evs := waitAll(t, s, 0); len(evs) != 0 {
			t.Fatalf("after draining: %v", evs)
		}
	})
}

// TestTagBits: the whole 64-bit tag comes back, from several events of one
// Wait. The kernel keeps only epoll_event's 8-byte data, whose offset, and
// the struct's size, differ by architecture (packed, 12 bytes, on amd64 and
// 386; 16 bytes, data at offset 8, elsewhere): a tag half kept in the
// padding, or a wrong stride over the array, would come back changed.
func TestTagBits(t *testing.T) {
	tags := []uint64{1<<63 | 3, 0xdeadbeef<<32 | 0xcafef00d, 42 << 32, 0xffffffff, multiplex.WakeTag - 1}
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		for _, tag := range tags {
			a, b := socketpair(t)
			if err := s.Add(a, multiplex.Readable, tag); err != nil {
				t.Fatal(err)
			}
			write(t, b, "x")
		}
		got := map[uint64]multiplex.Events{}
		for _, ev := range waitAll(t, s, time.Second) {
			got[ev.Tag] = ev.Events
		}
		for _, tag := range tags {
			if got[tag] != multiplex.Readable {
				t.Errorf("tag %#x: reported %v, want Readable (all reported: %#v)", tag, got[tag], got)
			}
		}
		if len(got) != len(tags) {
			t.Errorf("%d distinct tags reported, want %d: %#v", len(got), len(tags), got)
		}
	})
}

func TestHangUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, b := socketpair(t)
		if err := s.Add(a, multiplex.Readable, 9); err != nil {
			t.Fatal(err)
		}
		if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
			t.Fatal(err)
		}
		evs := waitAll(t, s, time.Second)
		want := multiplex.Readable | multiplex.HangUp
		if s.Backend() == multiplex.Select {
			want = multiplex.Readable // select has no hang-up bit
		}
		if len(evs) != 1 || evs[0].Tag != 9 || evs[0].Events != want {
			t.Fatalf("after peer shutdown: %v, want {9 %v}", evs, want)
		}
	})
}

func TestTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, _ := socketpair(t)
		if err := s.Add(a, multiplex.Readable, 1); err != nil {
			t.Fatal(err)
		}
		const d = 30 * time.Millisecond
		start := time.Now()
		if evs := waitAll(t, s, d); len(evs) != 0 {
			t.Fatalf("Wait = %v, want timeout", evs)
		}
		if el := time.Since(start); el < d {
			t.Fatalf("Wait(%v) returned after %v", d, el)
		}
	})
}

func TestWake(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		// A Wake before Wait: the next Wait returns at once, and only it.
		for range 3 {
			if err := s.Wake(); err != nil {
				t.Fatal(err)
			}
		}
		if evs := waitAll(t, s, -1); len(evs) != 0 {
			t.Fatalf("woken Wait = %v, want 0 events", evs)
		}
		start := time.Now()
		if evs := waitAll(t, s, 20*time.Millisecond); len(evs) != 0 {
			t.Fatalf("Wait = %v", evs)
		}
		if time.Since(start) < 20*time.Millisecond {
			t.Fatal("coalesced wakes woke a second Wait")
		}
		// A Wake during Wait.
		done := make(chan error)
		go func() {
			_, err := s.Wait(make([]multiplex.Event, 4), -1)
			done <- err
		}()
		for {
			s.Wake()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				return
			case <-time.After(10 * time.Millisecond):
				// The Wake may have landed before Wait began and been
				// consumed by it; either way Wait must return.
			}
		}
	})
}

func TestAddWhileWaiting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, b := socketpair(t)
		write(t, b, "x")
		got := make(chan []multiplex.Event)
		started := make(chan struct{})
		go func() {
			evs := make([]multiplex.Event, 4)
			close(started)
			n, err := s.Wait(evs, 10*time.Second)
			if err != nil {
				t.Error(err)
			}
			got <- evs[:n]
		}()
		<-started
		if err := s.Add(a, multiplex.Readable, 5); err != nil {
			t.Fatal(err)
		}
		evs := <-got
		if len(evs) != 1 || evs[0].Tag != 5 {
			t.Fatalf("Wait = %v, want the fd added while waiting", evs)
		}
	})
}

func TestCloseUnblocksWait(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := b.open()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() {
				_, err := s.Wait(make([]multiplex.Event, 1), -1)
				done <- err
			}()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Wait after Close: %v, want net.ErrClosed", err)
			}
			a, _ := socketpair(t)
			for name, err := range map[string]error{
				"Close":  s.Close(),
				"Add":    s.Add(a, multiplex.Readable, 1),
				"Modify": s.Modify(a, multiplex.Readable, 1),
				"Remove": s.Remove(a),
				"Wake":   s.Wake(),
			} {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("%s after Close: %v, want net.ErrClosed", name, err)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, _ := socketpair(t)
		err := s.Add(int(f.Fd()), multiplex.Readable, 1)
		if !errors.Is(err, multiplex.ErrNotPollable) || !errors.Is(err, unix.EPERM) {
			t.Errorf("Add(regular file) = %v, want ErrNotPollable and EPERM", err)
		} else {
			t.Logf("regular file: %v", err)
		}
		closed, _ := socketpair(t)
		c2, err := unix.Dup(closed)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(c2)
		if err := s.Add(c2, multiplex.Readable, 1); !errors.Is(err, unix.EBADF) {
			t.Errorf("Add(closed fd) = %v, want EBADF", err)
		}
		if err := s.Add(-1, multiplex.Readable, 1); !errors.Is(err, unix.EBADF) {
			t.Errorf("Add(-1) = %v, want EBADF", err)
		}
		if err := s.Add(a, multiplex.Readable, multiplex.WakeTag); !errors.Is(err, unix.EINVAL) {
			t.Errorf("Add(WakeTag) = %v, want EINVAL", err)
		}
		if err := s.Add(a, multiplex.HangUp, 1); !errors.Is(err, unix.EINVAL) {
			t.Errorf("Add(HangUp) = %v, want EINVAL", err)
		}
		if err := s.Add(a, multiplex.Readable, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(a, multiplex.Readable, 1); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second Add = %v, want EEXIST", err)
		}
		if _, err := s.Wait(nil, 0); !errors.Is(err, unix.EINVAL) {
			t.Errorf("Wait(nil) = %v, want EINVAL", err)
		}
		b, _ := socketpair(t)
		err = s.Add(b, multiplex.Readable|multiplex.EdgeTriggered, 2)
		if s.Backend() == multiplex.Epoll {
			if err != nil {
				t.Errorf("epoll Add(EdgeTriggered) = %v", err)
			}
		} else if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Add(EdgeTriggered) = %v, want ErrUnsupported", err)
		}
	})
}

// TestSelectHighFD: the last fd an fd_set holds (FD_SETSIZE-1) and one in
// each of its words is watched and reported. fd_set is an array of longs,
// 32 of 32 bits on 386 and arm, 16 of 64 elsewhere: a bit in the wrong
// word or the wrong place would watch another fd.
func TestSelectHighFD(t *testing.T) {
	s, err := multiplex.NewSelect()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := socketpair(t)
	var fds []int
	for _, want := range []int{1023, 992, 991, 64, 63, 32, 31} {
		fd, err := unix.FcntlInt(uintptr(a), unix.F_DUPFD_CLOEXEC, want)
		if err != nil {
			t.Skipf("cannot dup to fd %d (RLIMIT_NOFILE too low?): %v", want, err)
		}
		defer unix.Close(fd)
		if fd != want {
			continue // taken: the test needs the number itself
		}
		if err := s.Add(fd, multiplex.Readable, uint64(fd)); err != nil {
			t.Fatalf("Add(fd %d) = %v", fd, err)
		}
		fds = append(fds, fd)
	}
	if len(fds) == 0 || fds[0] != 1023 {
		t.Skipf("fd 1023 was taken (%v)", fds)
	}
	if evs := waitAll(t, s, 0); len(evs) != 0 {
		t.Fatalf("nothing to read yet: %v", evs)
	}
	write(t, b, "x") // every dup shares a's open file: all become readable
	got := map[uint64]bool{}
	for _, ev := range waitAll(t, s, time.Second) {
		got[ev.Tag] = ev.Events == multiplex.Readable
	}
	for _, fd := range fds {
		if !got[uint64(fd)] {
			t.Errorf("fd %d not reported Readable (reported %v)", fd, got)
		}
	}
	if len(got) != len(fds) {
		t.Errorf("reported %v, want exactly %v", got, fds)
	}
}

func TestSelectFDSetSize(t *testing.T) {
	s, err := multiplex.NewSelect()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, _ := socketpair(t)
	high, err := unix.FcntlInt(uintptr(a), unix.F_DUPFD_CLOEXEC, 1500)
	if err != nil {
		t.Skipf("cannot dup to fd 1500 (RLIMIT_NOFILE too low?): %v", err)
	}
	defer unix.Close(high)
	err = s.Add(high, multiplex.Readable, 1)
	if !errors.Is(err, multiplex.ErrFDSetSize) {
		t.Fatalf("Add(fd %d) = %v, want ErrFDSetSize", high, err)
	}
	t.Logf("fd %d: %v", high, err)
	for _, open := range []func() (multiplex.Selector, error){multiplex.NewPoll, multiplex.NewEpoll} {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(high, multiplex.Readable, 1); err != nil {
			t.Errorf("%v: Add(fd %d) = %v, want success", s.Backend(), high, err)
		}
		s.Close()
	}
}

func TestEdgeTriggered(t *testing.T) {
	s, err := multiplex.NewEpoll()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := socketpair(t)
	if err := s.Add(a, multiplex.Readable|multiplex.EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	write(t, b, "x")
	if evs := waitAll(t, s, time.Second); len(evs) != 1 {
		t.Fatalf("first Wait = %v, want one edge", evs)
	}
	if evs := waitAll(t, s, 0); len(evs) != 0 {
		t.Fatalf("second Wait = %v, want nothing (edge already reported)", evs)
	}
	write(t, b, "y")
	if evs := waitAll(t, s, time.Second); len(evs) != 1 {
		t.Fatalf("after a second write: %v, want a new edge", evs)
	}
}

func TestWaitAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, b := socketpair(t)
		write(t, b, "x")
		if err := s.Add(a, multiplex.Readable, 1); err != nil {
			t.Fatal(err)
		}
		evs := make([]multiplex.Event, 8)
		s.Wait(evs, 0) // grow buffers
		allocs := testing.AllocsPerRun(100, func() {
			if n, err := s.Wait(evs, time.Second); n != 1 || err != nil {
				t.Fatalf("Wait = %d, %v", n, err)
			}
		})
		if allocs != 0 {
			t.Errorf("Wait allocates %v times per call, want 0", allocs)
		}
		allocs = testing.AllocsPerRun(100, func() {
			s.Wake()
			if _, err := s.Wait(evs[:1], time.Second); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Wake+Wait allocates %v times per call, want 0", allocs)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		const n = 20
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]multiplex.Event, 8)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Wait(evs, 5*time.Millisecond); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, b := socketpair(t)
				for range 50 {
					if err := s.Add(a, multiplex.Readable|multiplex.Writable, uint64(i)); err != nil {
						t.Error(err)
						return
					}
					write(t, b, "x")
					s.Modify(a, multiplex.Readable, uint64(i))
					if err := s.Remove(a); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for range n {
			s.Wake()
		}
		close(stop)
		wg.Wait()
	})
}

// TestSelectRemoveCloseRace removes and closes fds while another goroutine
// waits: select(2) fails with EBADF if a closed fd is still in its sets, so
// the select backend must retry with the fd gone, never fail the Wait.
func TestSelectRemoveCloseRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		stop := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			evs := make([]multiplex.Event, 8)
			for {
				select {
				case <-stop:
					errc <- nil
					return
				default:
				}
				if _, err := s.Wait(evs, 0); err != nil {
					errc <- err
					return
				}
			}
		}()
		for i := range 2000 {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Add(fds[0], multiplex.Readable, uint64(i)); err != nil {
				t.Fatal(err)
			}
			runtime.Gosched() // let Wait take the fd into its sets
			if err := s.Remove(fds[0]); err != nil {
				t.Fatal(err)
			}
			unix.Close(fds[0])
			unix.Close(fds[1])
		}
		close(stop)
		if err := <-errc; err != nil {
			t.Fatalf("Wait while fds were removed and closed: %v", err)
		}
	})
}

// TestWaitRetriesEINTR interrupts a Wait with signals: epoll_wait, poll and
// select fail with EINTR after a signal handler runs, whatever SA_RESTART
// says (signal(7)). Wait must retry with the time left, not return early
// and not return the error. SIGURG is the signal the Go runtime itself uses
// to preempt goroutines, so sending it is harmless.
func TestWaitRetriesEINTR(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s multiplex.Selector) {
		a, _ := socketpair(t)
		if err := s.Add(a, multiplex.Readable, 1); err != nil {
			t.Fatal(err)
		}
		// On a loaded machine the signalling goroutine may not run at all
		// during a Wait; such a round proves nothing and is run again.
		for range 5 {
			if waitInterrupted(t, s) > 0 {
				return
			}
		}
		t.Fatal("no signal was sent during any of 5 Waits")
	})
}

// waitInterrupted runs one Wait of 150 ms on s, which has nothing ready,
// sending its thread SIGURG every 2 ms meanwhile, and checks that it
// returned nothing, no error and not early. It returns how many signals
// were sent.
func waitInterrupted(t *testing.T, s multiplex.Selector) int {
	t.Helper()
	const d = 150 * time.Millisecond
	tid := make(chan int)
	type result struct {
		n       int
		err     error
		elapsed time.Duration
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		start := time.Now()
		n, err := s.Wait(make([]multiplex.Event, 4), d)
		done <- result{n, err, time.Since(start)}
	}()
	target := <-tid
	signals := 0
	for {
		select {
		case r := <-done:
			if r.err != nil || r.n != 0 {
				t.Fatalf("interrupted Wait = %d, %v; want 0, nil", r.n, r.err)
			}
			if r.elapsed < d {
				t.Fatalf("interrupted Wait(%v) returned after %v", d, r.elapsed)
			}
			return signals
		case <-time.After(2 * time.Millisecond):
			if err := unix.Tgkill(unix.Getpid(), target, unix.SIGURG); err == nil {
				signals++
			}
		}
	}
}
