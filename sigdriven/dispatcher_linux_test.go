package sigdriven

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestSiginfoLayout(t *testing.T) {
	// Offsets of struct signalfd_siginfo in <linux/signalfd.h>.
	var si signalfdSiginfo
	for _, c := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"size", unsafe.Sizeof(si), 128},
		{"ssi_code", unsafe.Offsetof(si.code), 8},
		{"ssi_pid", unsafe.Offsetof(si.pid), 12},
		{"ssi_fd", unsafe.Offsetof(si.fd), 20},
		{"ssi_band", unsafe.Offsetof(si.band), 28},
		{"ssi_int", unsafe.Offsetof(si.int), 44},
		{"ssi_ptr", unsafe.Offsetof(si.ptr), 48},
		{"ssi_addr_lsb", unsafe.Offsetof(si.addrLSB), 80},
		{"ssi_syscall", unsafe.Offsetof(si.syscall), 84},
		{"ssi_call_addr", unsafe.Offsetof(si.callAddr), 88},
		{"ssi_arch", unsafe.Offsetof(si.arch), 96},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestSiginfoTLayout: siginfo_t as rt_tgsigqueueinfo(2) reads it, with the
// _rt member, at the offsets of <asm-generic/siginfo.h> for this
// architecture's long: the union starts at 16 on 64-bit, 12 on 32-bit.
func TestSiginfoTLayout(t *testing.T) {
	var si siginfo
	long := unsafe.Sizeof(uintptr(0))
	want := map[uintptr]struct{ pid, uid, sigval uintptr }{
		8: {16, 20, 24}, // amd64, arm64, ...
		4: {12, 16, 20}, // 386, arm
	}[long]
	if want.pid == 0 {
		t.Fatalf("no layout known for a %d-byte long", long)
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(si), 128},
		{"si_signo", unsafe.Offsetof(si.signo), 0},
		{"si_pid", unsafe.Offsetof(si.pid), want.pid},
		{"si_uid", unsafe.Offsetof(si.uid), want.uid},
		{"si_sigval", unsafe.Offsetof(si.sigval), want.sigval},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d (%d-byte long)", c.name, c.got, c.want, long)
		}
	}
}

// TestMarker: a marker queued to the dispatcher thread comes back out of
// its signalfd recognized (si_code, si_pid, si_errno and si_int where the
// kernel reads them): with a fence up for fd, a readiness signal queued
// behind the marker reaches fd only if the marker lifted the fence.
func TestMarker(t *testing.T) {
	a, b := streamPair(t)
	ar := newToken()
	registered(t, a, DefaultSignal, ar, newToken())
	d := currentDispatcher(t, DefaultSignal)
	d.mu.Lock()
	d.slots[a].retiring++
	d.mu.Unlock()
	if err := d.queue(markerRetire, a); err != nil {
		t.Fatal(err)
	}
	unix.Write(b, []byte("x"))
	ar.wait(t, "a readable, behind its retire marker (not recognized: the siginfo sent does not read back as a marker)")
}

func TestBadSignal(t *testing.T) {
	a, _ := streamPair(t)
	for _, c := range []struct {
		sig  int
		want string
	}{
		{-1, "not a signal number"},
		{65, "not a signal number"},
		{int(unix.SIGIO), "standard signal"},
		{int(unix.SIGURG), "Go runtime"},
		{32, "libc"},
		{33, "libc"},
		{34, "libc"},
	} {
		reg, err := register(a, c.sig, newToken(), newToken())
		if err == nil {
			reg.unregister()
			t.Errorf("signal %d: registered, want an error", c.sig)
			continue
		}
		if !errors.Is(err, ErrBadSignal) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("signal %d: %v; want ErrBadSignal saying %q", c.sig, err, c.want)
		}
	}
	for _, sig := range []int{35, DefaultSignal, 64} {
		t.Run(fmt.Sprint(sig), func(t *testing.T) {
			reg, err := register(a, sig, newToken(), newToken())
			if errors.Is(err, unix.EINVAL) && strings.Contains(err.Error(), "F_SETSIG") {
				// Linux refuses only sig > _NSIG (fcntl(2), valid_signal).
				t.Skipf("signal %d: %v: F_SETSIG refused a valid real-time signal, which Linux never does; an emulator (qemu-user keeps the highest real-time signals for itself) did", sig, err)
			}
			if err != nil {
				t.Fatalf("signal %d: %v", sig, err)
			}
			reg.unregister()
		})
	}
}

func TestRegularFile(t *testing.T) {
	for _, sig := range []int{DefaultSignal, 0} {
		f, err := os.Create(filepath.Join(t.TempDir(), "f")) // only to get a regular file
		if err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Dup(int(f.Fd()))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		reg, err := register(fd, sig, newToken(), newToken())
		if err == nil {
			reg.unregister()
			t.Fatalf("signal %d: a regular file was registered", sig)
		}
		if !errors.Is(err, ErrNoAsync) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("signal %d: %v; want ErrNoAsync and ErrUnsupported", sig, err)
		}
		for _, kind := range []string{"sockets", "pipes", "FIFOs", "ttys"} {
			if !strings.Contains(err.Error(), kind) {
				t.Errorf("signal %d: error %q does not name %s", sig, err, kind)
			}
		}
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_ASYNC != 0 {
			t.Errorf("flags after refusal: %#x, %v", fl, err)
		}
		unix.Close(fd)
	}
	goleak.VerifyNone(t) // the dispatcher started for it is gone
}

func TestClosedFD(t *testing.T) {
	a, b := socketpair(t, unix.SOCK_STREAM)
	unix.Close(a)
	unix.Close(b)
	for _, sig := range []int{DefaultSignal, 0} {
		reg, err := register(a, sig, newToken(), newToken())
		if err == nil {
			reg.unregister()
			t.Fatalf("signal %d: a closed fd was registered", sig)
		}
		if !errors.Is(err, unix.EBADF) {
			t.Errorf("signal %d: %v; want EBADF", sig, err)
		}
	}
	registry.mu.Lock()
	d := registry.m[DefaultSignal]
	registry.mu.Unlock()
	if d != nil {
		var fds []int
		d.mu.Lock()
		for i, s := range d.slots {
			if s.reg != nil {
				fds = append(fds, i)
			}
		}
		d.mu.Unlock()
		t.Errorf("a dispatcher runs with no registration: refs %d, fds %v", d.refs, fds)
	}
}

func TestDoubleRegister(t *testing.T) {
	a, _ := streamPair(t)
	registered(t, a, DefaultSignal, newToken(), newToken())
	if r2, err := register(a, DefaultSignal, newToken(), newToken()); err == nil {
		r2.unregister()
		t.Fatal("the same fd was registered twice")
	}
}

// TestPrecise: a signal wakes the registration and direction it names and
// nothing else.
func TestPrecise(t *testing.T) {
	a, b := streamPair(t)
	ar, aw, br, bw := newToken(), newToken(), newToken(), newToken()
	registered(t, a, DefaultSignal, ar, aw)
	regB := registered(t, b, DefaultSignal, br, bw)

	before := Signals()
	if _, err := unix.Write(a, []byte("x")); err != nil {
		t.Fatal(err)
	}
	br.wait(t, "b readable")
	if got := ar.n.Load() + aw.n.Load() + bw.n.Load(); got != 0 {
		t.Errorf("%d wake-ups of other directions", got)
	}
	after := Signals()
	if after.Signals-before.Signals != 1 || after.Precise-before.Precise != 1 {
		t.Errorf("signals %+v -> %+v: want one signal, one precise wake-up", before, after)
	}
	if regB.signals.Load() != 1 || regB.precise.Load() != 1 {
		t.Errorf("b counts %d signals, %d precise wake-ups", regB.signals.Load(), regB.precise.Load())
	}

	// Writability: fill a's send buffer until EAGAIN, drain b, and a's
	// write direction must be woken (the kernel signals POLL_OUT only
	// after a send found no room: sock_wake_async SOCK_WAKE_SPACE).
	buf := make([]byte, 64<<10)
	for {
		_, err := unix.SendmsgN(a, buf, nil, nil, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	aw.drain()
	for {
		_, _, _, _, err := unix.Recvmsg(b, buf, nil, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	aw.wait(t, "a writable")

	// Hang-up wakes both directions of the peer.
	ar.drain()
	aw.drain()
	unix.Shutdown(b, unix.SHUT_RDWR)
	ar.wait(t, "a read after peer shutdown")
}

// TestMask: the dispatcher thread blocks its signal and SIGIO; no other
// thread does; after the last registration the thread's mask is restored.
//
// It runs in a child process, because os/signal, once any test has used
// it, keeps a thread of the runtime's own (ensureSigM) that blocks every
// signal nobody Notify'd, ours included.
func TestMask(t *testing.T) {
	if !inChild("TestMask") {
		runChild(t, "TestMask")
		return
	}
	const sig = 45
	if why := procMasksRenumbered(t, sig); why != "" {
		t.Skip(why)
	}
	a, _ := streamPair(t)
	reg, err := register(a, sig, newToken(), newToken())
	if err != nil {
		t.Fatal(err)
	}
	d := currentDispatcher(t, sig)
	tid := d.tid
	// A thread that is being created runs briefly with every signal
	// blocked (the runtime's newosproc); read again until none is.
	const all = 0xfffffffe7ffbfeff // everything blockable (SIGKILL and SIGSTOP are not)
	var masks map[int][2]uint64
	for try := 0; ; try++ {
		masks = taskMasks(t)
		transient := false
		for id, m := range masks {
			if id != tid && m[0]&all == all {
				transient = true
			}
		}
		if !transient || try == 100 {
			break
		}
		time.Sleep(time.Millisecond) // poll for a thread to finish starting; not synchronization of ours
	}
	m, ok := masks[tid]
	if !ok {
		t.Fatalf("dispatcher thread %d not in /proc/self/task", tid)
	}
	if !sigismember(m[0], sig) || !sigismember(m[0], int(unix.SIGIO)) {
		t.Errorf("dispatcher thread %d SigBlk %016x: want signals %d and SIGIO blocked", tid, m[0], sig)
	}
	for id, m := range masks {
		if id != tid && (sigismember(m[0], sig) || sigismember(m[0], int(unix.SIGIO))) {
			t.Errorf("thread %d (not the dispatcher) SigBlk %016x blocks signal %d or SIGIO", id, m[0], sig)
		}
	}
	reg.unregister()
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("dispatcher did not stop after the last registration")
	}
	if m, ok := taskMasks(t)[tid]; ok && (sigismember(m[0], sig) || sigismember(m[0], int(unix.SIGIO))) {
		t.Errorf("thread %d kept SigBlk %016x after the dispatcher stopped", tid, m[0])
	}
	goleak.VerifyNone(t)
}

// TestQueuedWhileNotReading: signals that arrive while the dispatcher
// thread is not in read(2) wait, blocked, in its own pending set (SigPnd,
// thread-directed), and are delivered when it reads again.
func TestQueuedWhileNotReading(t *testing.T) {
	if why := procMasksRenumbered(t, DefaultSignal); why != "" {
		t.Skip(why)
	}
	a, b := streamPair(t)
	br := newToken()
	registered(t, b, DefaultSignal, br, newToken())
	tid := currentDispatcher(t, DefaultSignal).tid

	entered, release := holdDispatcher(t)
	defer release() // before the unregisters: the last one waits for the thread
	// The thread stops before its next read: after handling this byte's
	// signal, or before reading it if it was not in read(2) yet.
	unix.Write(a, []byte("1"))
	<-entered
	br.drain()

	unix.Write(a, []byte("2"))
	var pnd uint64
	for try := 0; try < 1000; try++ { // the kernel queues it synchronously in write(2); this only guards against surprises
		pnd = taskMasks(t)[tid][1]
		if sigismember(pnd, DefaultSignal) {
			break
		}
	}
	if !sigismember(pnd, DefaultSignal) {
		t.Fatalf("dispatcher thread SigPnd %016x: signal %d not pending", pnd, DefaultSignal)
	}
	select {
	case <-br.c:
		t.Fatal("woken while the dispatcher was held")
	default:
	}
	release()
	br.wait(t, "byte sent while the dispatcher was not reading")
}

// TestStale: signals queued for a descriptor, which is then closed and its
// number reused, do not reach the new descriptor; the new one's own
// signals do.
func TestStale(t *testing.T) {
	x, xp := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(xp)
	xr := newToken()
	regX, err := register(x, DefaultSignal, xr, newToken())
	if err != nil {
		t.Fatal(err)
	}
	// A second registration keeps the dispatcher alive across X's end.
	k, _ := streamPair(t)
	registered(t, k, DefaultSignal, newToken(), newToken())

	entered, release := holdDispatcher(t)
	defer release() // before the unregisters: the last one waits for the thread
	unix.Write(xp, []byte("0"))
	<-entered
	stale := uint64(3)
	if xr.n.Load() == 0 {
		stale++ // the thread stopped before it read the signal for "0"
	}
	before := Signals()
	for i := 0; i < 3; i++ {
		unix.Write(xp, []byte("s")) // three signals for x's number, queued
	}
	regX.unregister()
	unix.Close(x)

	y, yp := socketpair(t, unix.SOCK_STREAM)
	defer unix.Close(yp)
	if y != x {
		if err := unix.Dup3(y, x, unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		unix.Close(y)
		y = x
	}
	defer unix.Close(y)
	yr, yw := newToken(), newToken()
	regY, err := register(y, DefaultSignal, yr, yw)
	if err != nil {
		t.Fatal(err)
	}
	defer regY.unregister() // before y closes
	release()

	unix.Write(yp, []byte("y"))
	yr.wait(t, "y's own signal")
	after := Signals()
	if got := yr.n.Load() + yw.n.Load(); got != 1 {
		t.Errorf("y woken %d times, want once (its own signal only)", got)
	}
	if after.Stale-before.Stale != stale {
		t.Errorf("%d stale signals dropped, want %d", after.Stale-before.Stale, stale)
	}
}

// TestNotifyCoexists: a program's own signal.Notify(SIGIO) still gets
// every SIGIO sent to the process while a dispatcher (which reads SIGIO
// from its signalfd) and the broadcaster run.
func TestNotifyCoexists(t *testing.T) {
	user := make(chan os.Signal, 1)
	signal.Notify(user, unix.SIGIO)
	defer signal.Stop(user)

	a, _ := streamPair(t)
	c, d := streamPair(t)
	regA, err := register(a, DefaultSignal, newToken(), newToken())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if regA != nil {
			regA.unregister()
		}
	}()
	cr := newToken()
	regC, err := register(c, 0, cr, newToken())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if regC != nil {
			regC.unregister()
		}
	}()

	for i := 0; i < 50; i++ {
		unix.Kill(unix.Getpid(), unix.SIGIO)
		select {
		case <-user:
		case <-time.After(10 * time.Second):
			t.Fatalf("SIGIO %d never reached the program's own signal.Notify", i)
		}
	}
	cr.drain()
	unix.Write(d, []byte("x"))
	cr.wait(t, "broadcast registration")
	select {
	case <-user:
	case <-time.After(10 * time.Second):
		t.Fatal("the broadcast SIGIO did not reach the program's own signal.Notify")
	}

	// With the dispatcher and the broadcaster gone (signal.Stop of our
	// channel only), the program's Notify still gets SIGIO.
	regA.unregister()
	regC.unregister()
	regA, regC = nil, nil
	unix.Kill(unix.Getpid(), unix.SIGIO)
	select {
	case <-user:
	case <-time.After(10 * time.Second):
		t.Fatal("after the last unregister, SIGIO no longer reaches the program's own signal.Notify")
	}
}

// TestBroadcast: one SIGIO wakes every registration, both directions.
func TestBroadcast(t *testing.T) {
	const n = 8
	var toks []*token
	var peers []int
	for i := 0; i < n; i++ {
		a, b := streamPair(t)
		r, w := newToken(), newToken()
		registered(t, a, 0, r, w)
		toks = append(toks, r, w)
		peers = append(peers, b)
	}
	unix.Write(peers[0], []byte("x"))
	for i, tok := range toks {
		tok.wait(t, "broadcast wake-up "+string(rune('0'+i)))
	}
}

// TestNotOnMainThread: a dispatcher whose goroutine starts on the main
// thread moves to another one (SIGIOs it does not own are forwarded to
// the main thread, which therefore must not block SIGIO).
func TestNotOnMainThread(t *testing.T) {
	var first atomic.Int64
	saved := onMainThread
	onMainThread = func() bool {
		// Pretend that the first thread asked is the main thread.
		return first.CompareAndSwap(0, int64(unix.Gettid())) || first.Load() == int64(unix.Gettid())
	}
	t.Cleanup(func() { onMainThread = saved }) // after the registration's end

	a, b := streamPair(t)
	br := newToken()
	registered(t, b, DefaultSignal, br, newToken())
	d := currentDispatcher(t, DefaultSignal)
	if int64(d.tid) == first.Load() || first.Load() == 0 {
		t.Fatalf("dispatcher thread %d, the pretended main thread %d", d.tid, first.Load())
	}
	unix.Write(a, []byte("x"))
	br.wait(t, "b readable")
}
