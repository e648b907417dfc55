package uring

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// skipUnsupported skips the test when err says io_uring cannot be used
// here, with err's own words as the reason: what io_uring_setup(2), the
// feature check or the opcode probe answered on this run (ENOSYS under
// qemu-user, EPERM under a seccomp filter, ...), never a guess from GOARCH.
// Every test that needs a ring goes through it, by newRing or directly.
func skipUnsupported(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err.Error())
	}
}

// newRing returns a ring or skips the test with the reason io_uring is
// unavailable here.
func newRing(t testing.TB, c Config) *Ring {
	t.Helper()
	r, err := New(c)
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	return r
}

func socketpair(t testing.TB, typ int) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// wait fails the test instead of hanging when q never completes.
func wait(t testing.TB, q *Req) (int32, bool) {
	t.Helper()
	select {
	case <-q.Done():
		return q.Result()
	case <-time.After(10 * time.Second):
		t.Fatal("request did not complete in 10s")
		return 0, false
	}
}

// submitRecvs submits n RECVs of one byte on fd, which nobody writes, so
// they stay pending until cancelled.
func submitRecvs(t testing.TB, r *Ring, fd, n int) []Req {
	t.Helper()
	qs := make([]Req, n)
	for i := range qs {
		qs[i].PrepRecv(fd, make([]byte, 1), 0)
		if err := r.Submit(&qs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return qs
}

// recvTimesOut submits q as a RECV on fd with a 1 ms linked timeout, which
// no data will beat, and fails the test unless the timeout ends it.
func recvTimesOut(t testing.TB, r *Ring, q *Req, fd int) {
	t.Helper()
	q.PrepRecv(fd, make([]byte, 1), 0)
	q.SetTimeout(time.Millisecond)
	if err := r.Submit(q); err != nil {
		t.Fatal(err)
	}
	if _, timedOut := wait(t, q); !timedOut {
		t.Fatal("RECV with a 1 ms linked timeout did not time out")
	}
}

func TestSetupFlags(t *testing.T) {
	r := newRing(t, Config{})
	t.Logf("setup flags %#x features %#x sq %d cq %d", r.q.flags, r.q.features, r.q.sqEntries, r.q.cqEntries)
	if r.q.flags&baseFlags != baseFlags {
		t.Errorf("flags %#x lack CQSIZE|CLAMP|SUBMIT_ALL", r.q.flags)
	}
}

func TestNop(t *testing.T) {
	r := newRing(t, Config{})
	var q Req
	for range 100 {
		q.PrepNop()
		if err := r.Submit(&q); err != nil {
			t.Fatal(err)
		}
		if res, _ := wait(t, &q); res != 0 {
			t.Fatalf("NOP res = %d, want 0", res)
		}
	}
}

func TestRecvSend(t *testing.T) {
	r := newRing(t, Config{})
	a, b := socketpair(t, unix.SOCK_STREAM)
	buf := make([]byte, 16)
	var rq, sq Req
	rq.PrepRecv(a, buf, 0)
	if err := r.Submit(&rq); err != nil {
		t.Fatal(err)
	}
	msg := []byte("hello, ring")
	sq.PrepSend(b, msg, unix.MSG_NOSIGNAL)
	if err := r.Submit(&sq); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &sq); int(res) != len(msg) {
		t.Fatalf("SEND res = %d, want %d", res, len(msg))
	}
	res, _ := wait(t, &rq)
	if got := string(buf[:max(res, 0)]); got != string(msg) {
		t.Fatalf("RECV got %q (res %d), want %q", got, res, msg)
	}
}

func TestLinkedTimeout(t *testing.T) {
	r := newRing(t, Config{})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	var q Req
	q.PrepRecv(a, make([]byte, 8), 0)
	q.SetTimeout(20 * time.Millisecond)
	start := time.Now()
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	res, timedOut := wait(t, &q)
	if res != -int32(unix.ECANCELED) || !timedOut {
		t.Fatalf("got res %d timedOut %v, want -ECANCELED and true", res, timedOut)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("timed out after %v, before the 20ms timeout", d)
	}
}

func TestTimeoutNotFiredWhenDataArrives(t *testing.T) {
	r := newRing(t, Config{})
	a, b := socketpair(t, unix.SOCK_STREAM)
	if _, err := unix.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	var q Req
	q.PrepRecv(a, make([]byte, 8), 0)
	q.SetTimeout(time.Hour)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if res, timedOut := wait(t, &q); res != 1 || timedOut {
		t.Fatalf("got res %d timedOut %v, want 1 and false", res, timedOut)
	}
}

func TestCancel(t *testing.T) {
	r := newRing(t, Config{})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	var q Req
	for range 50 {
		q.PrepRecv(a, make([]byte, 8), 0)
		if err := r.Submit(&q); err != nil {
			t.Fatal(err)
		}
		r.Cancel(&q)
		if res, _ := wait(t, &q); res != -int32(unix.ECANCELED) {
			t.Fatalf("cancelled RECV res = %d, want -ECANCELED", res)
		}
	}
}

func TestCancelFD(t *testing.T) {
	r := newRing(t, Config{})
	a, _ := socketpair(t, unix.SOCK_STREAM)
	qs := submitRecvs(t, r, a, 10)
	var tr Tracker
	r.CancelFD(a, &tr)
	for i := range qs {
		if res, _ := wait(t, &qs[i]); res != -int32(unix.ECANCELED) {
			t.Fatalf("req %d res = %d, want -ECANCELED", i, res)
		}
	}
	tr.Wait() // the cancel's own completion is reaped
	if n := r.Stats().Ops; n != uint64(len(qs)) {
		t.Fatalf("%d ops completed, want %d (the cancel is not an op)", n, len(qs))
	}
}

// TestBeyondTheCQ hands a tiny ring far more requests than its CQ holds:
// all of them go to the kernel (none waits for another's completion, which
// among idle sockets never comes), and every completion arrives, those
// that found the CQ full kept by the kernel (IORING_FEAT_NODROP) and
// counted in Stats.Overflows. With Config.MaxInFlight, the excess waits in
// the owner's backlog instead, and the CQEs in flight stay within it.
func TestBeyondTheCQ(t *testing.T) {
	for _, c := range []Config{{Entries: 4, CQEntries: 8}, {Entries: 4, CQEntries: 8, MaxInFlight: 6}} {
		r := newRing(t, c)
		const n = 100
		type pair struct{ a, b int }
		ps := make([]pair, n)
		qs := make([]Req, n)
		for i := range ps {
			ps[i].a, ps[i].b = socketpair(t, unix.SOCK_STREAM)
			qs[i].PrepRecv(ps[i].a, make([]byte, 1), 0)
			if err := r.Submit(&qs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if c.MaxInFlight == 0 {
			end := time.Now().Add(10 * time.Second)
			for r.Stats().MaxInFlight <= n {
				if time.Now().After(end) {
					t.Fatalf("%+v: %d CQEs in flight with %d RECVs submitted, want them all in the kernel", c, r.Stats().MaxInFlight, n)
				}
				runtime.Gosched()
			}
		}
		for i := range ps {
			if _, err := unix.Write(ps[i].b, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range qs {
			if res, _ := wait(t, &qs[i]); res != 1 {
				t.Fatalf("%+v: req %d res = %d, want 1", c, i, res)
			}
		}
		if s := r.Stats(); c.MaxInFlight > 0 && (s.MaxInFlight > uint64(c.MaxInFlight) || s.MaxInFlight == 0) {
			t.Fatalf("%+v: %d CQEs in flight at most", c, s.MaxInFlight)
		}
	}
}

// TestOverflowKept: RECVs waiting on one socket, many more than the CQ
// holds, all complete at once when it becomes readable; the completions
// the full CQ cannot take wait in the kernel, none is lost, and
// Stats.Overflows counts the rounds that found them there.
func TestOverflowKept(t *testing.T) {
	const n = 64
	for try := 0; ; try++ {
		if try == 20 {
			t.Fatalf("%d tries of %d completions at once on a CQ of 8: Overflows still 0", try, n)
		}
		r := newRing(t, Config{Entries: 4, CQEntries: 8})
		a, b := socketpair(t, unix.SOCK_STREAM)
		qs := submitRecvs(t, r, a, n)
		end := time.Now().Add(10 * time.Second)
		for r.Stats().MaxInFlight < n+1 { // every RECV armed in the kernel, beside the eventfd read
			if time.Now().After(end) {
				t.Fatalf("try %d: %d of %d RECVs in the kernel after 10 s", try, r.Stats().MaxInFlight, n)
			}
			runtime.Gosched()
		}
		if _, err := unix.Write(b, make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		for i := range qs {
			if res, _ := wait(t, &qs[i]); res != 1 {
				t.Fatalf("try %d, req %d: res %d, want 1", try, i, res)
			}
		}
		if r.Stats().Overflows > 0 {
			return
		}
	}
}

// TestCancelQueued cancels requests that wait in the backlog (the bound on
// CQEs in flight is reached): they complete with -ECANCELED without reaching the kernel, and
// the rest still run.
func TestCancelQueued(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CQEntries: 8, MaxInFlight: 6})
	a, b := socketpair(t, unix.SOCK_STREAM)
	qs := submitRecvs(t, r, a, 20)
	for i := range qs {
		r.Cancel(&qs[i])
	}
	for i := range qs {
		if res, _ := wait(t, &qs[i]); res != -int32(unix.ECANCELED) {
			t.Fatalf("req %d res = %d, want -ECANCELED", i, res)
		}
	}
	var q Req
	q.PrepRecv(a, make([]byte, 1), 0)
	r.Submit(&q)
	unix.Write(b, []byte("z"))
	if res, _ := wait(t, &q); res != 1 {
		t.Fatalf("after the cancels, RECV res = %d, want 1", res)
	}
}

func TestTracker(t *testing.T) {
	r := newRing(t, Config{})
	a, b := socketpair(t, unix.SOCK_STREAM)
	var tr Tracker
	qs := make([]Req, 5)
	for i := range qs {
		qs[i].PrepRecv(a, make([]byte, 1), 0)
		qs[i].SetTracker(&tr)
		r.Submit(&qs[i])
	}
	idle := make(chan struct{})
	go func() { tr.Wait(); close(idle) }()
	select {
	case <-idle:
		t.Fatal("Tracker.Wait returned with requests in flight")
	case <-time.After(10 * time.Millisecond):
	}
	unix.Write(b, []byte("12345"))
	select {
	case <-idle:
	case <-time.After(10 * time.Second):
		t.Fatal("Tracker.Wait did not return after every request completed")
	}
}

// TestBatching: many goroutines submitting at once share io_uring_enter calls.
func TestBatching(t *testing.T) {
	r := newRing(t, Config{})
	const workers, each = 64, 200
	before := r.Stats()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var q Req
			for range each {
				q.PrepNop()
				if err := r.Submit(&q); err != nil {
					t.Error(err)
					return
				}
				<-q.Done()
			}
		}()
	}
	wg.Wait()
	s := r.Stats()
	ops, enters := s.Ops-before.Ops, s.Enters-before.Enters
	if ops != workers*each {
		t.Fatalf("ops = %d, want %d", ops, workers*each)
	}
	t.Logf("%d ops in %d enters (%.2f ops/enter), %d wakeups", ops, enters, float64(ops)/float64(enters), s.Wakeups-before.Wakeups)
	if enters >= ops {
		t.Errorf("no batching: %d enters for %d ops", enters, ops)
	}
}

func TestOneshot(t *testing.T) {
	r := newRing(t, Config{})
	var q Req
	q.SetOneshot()
	q.PrepNop()
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	wait(t, &q)
	<-q.Done() // closed: any number of receives succeed
}

func TestDefaultStartsAndStops(t *testing.T) {
	r1, err := Default()
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 {
		t.Fatal("Default returned two rings while the first was referenced")
	}
	r1.Release()
	var q Req
	q.PrepNop()
	if err := r2.Submit(&q); err != nil {
		t.Fatalf("ring stopped while referenced: %v", err)
	}
	wait(t, &q)
	r2.Release()
	select {
	case <-r2.exited:
	default:
		t.Fatal("owner still running after the last Release")
	}
	if err := r2.Submit(&q); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("Submit after stop: %v, want ErrRingClosed", err)
	}
	r3, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Release()
	if r3 == r2 {
		t.Fatal("Default returned a stopped ring")
	}
}

func TestForcedUnsupported(t *testing.T) {
	for _, c := range []struct {
		errno syscall.Errno
		want  string
	}{
		{unix.ENOSYS, "older than 5.1"},
		{unix.EACCES, "security module"},
		{unix.EPERM, "io_uring"}, // seccomp or the sysctl, depending on this machine
	} {
		restore := ForceSetupError(c.errno)
		_, err := New(Config{})
		restore()
		if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, c.errno) {
			t.Errorf("%v: err = %v, want one wrapping ErrUnsupported and the errno", c.errno, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("%v: message %q lacks %q or a fix", c.errno, err, c.want)
		}
	}
}

func TestEPERMNamesSeccompOrSysctl(t *testing.T) {
	err := classify(unix.EPERM)
	msg := err.Error()
	switch sysctl() {
	case "1", "2":
		if !strings.Contains(msg, "kernel.io_uring_disabled") {
			t.Errorf("sysctl set but message %q does not name it", msg)
		}
	default:
		if !strings.Contains(msg, "seccomp") {
			t.Errorf("message %q does not name seccomp", msg)
		}
	}
}

func TestENOMEMShrinks(t *testing.T) {
	var sizes []uint32
	old := setupHook
	setupHook = func(entries uint32, p *io_uring_params) (int, error) {
		sizes = append(sizes, entries)
		if entries > 32 {
			return -1, unix.ENOMEM
		}
		fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil
	}
	defer func() { setupHook = old }()
	r, err := New(Config{Entries: 256})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if r.q.sqEntries != 32 {
		t.Fatalf("sq entries = %d after ENOMEM retries (tried %v), want 32", r.q.sqEntries, sizes)
	}
}

// TestReleaseWithRequestsInFlight: dropping the last reference while a
// request is still in the kernel cancels it (IORING_ASYNC_CANCEL_ANY|ALL),
// completes it with -ECANCELED, and only then stops the owner.
func TestReleaseWithRequestsInFlight(t *testing.T) {
	r, err := New(Config{})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := socketpair(t, unix.SOCK_STREAM)
	var q Req
	q.PrepRecv(a, make([]byte, 8), 0)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() { r.Release(); close(released) }()
	if res, _ := wait(t, &q); res != -int32(unix.ECANCELED) {
		t.Fatalf("res = %d, want -ECANCELED", res)
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("Release did not return")
	}
}

// TestReleaseWithBacklog: dropping the last reference while requests still
// wait in the backlog completes them with -ECANCELED (the kernel's cancel-all
// never sees them) and then stops.
func TestReleaseWithBacklog(t *testing.T) {
	r, err := New(Config{Entries: 4, CQEntries: 8})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := socketpair(t, unix.SOCK_STREAM)
	qs := submitRecvs(t, r, a, 30)
	released := make(chan struct{})
	go func() { r.Release(); close(released) }()
	for i := range qs {
		if res, _ := wait(t, &qs[i]); res != -int32(unix.ECANCELED) {
			t.Fatalf("req %d: res %d, want -ECANCELED", i, res)
		}
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("Release did not return")
	}
}

// TestPollAdd: a POLL_ADD for POLLIN completes once the socket is
// readable, with the ready events as its result.
func TestPollAdd(t *testing.T) {
	r := newRing(t, Config{})
	a, b := socketpair(t, unix.SOCK_STREAM)
	var q Req
	q.PrepPollAdd(a, unix.POLLIN)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if q.Completed() {
		t.Fatal("POLL_ADD for POLLIN completed before anything was sent")
	}
	if _, err := unix.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res < 0 || res&unix.POLLIN == 0 {
		t.Fatalf("POLL_ADD res = %#x, want POLLIN set", res)
	}
}
