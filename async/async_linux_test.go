package async

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/modeltest"
	"github.com/iomodel/iomodel/internal/uring"
)

func pair(t testing.TB, typ int, opts ...Option) (*Conn, *Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(fds[0], opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(fds[1], opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func scale(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// TestCancelSafety races a Recv's deadline against the peer's write,
// thousands of times. The Recv's buffer is a page of its own: as soon as the
// Recv returns without data, the page is made read-only. If the cancelled
// request were still alive in the kernel, it would either write into the
// page before the mprotect (the canary changes) or fault on it after (the
// byte is swallowed and the next Recv never sees it). Either fails the test.
func TestCancelSafety(t *testing.T) {
	requireRing(t)
	a, b := pair(t, unix.SOCK_STREAM)
	page, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(page)
	spare := make([]byte, 16)
	rng := rand.New(rand.NewPCG(1, 2))
	var timeouts, hits int
	n := scale(3000, 300)
	for i := range n {
		for j := range page {
			page[j] = 0xAA
		}
		want := byte(i)
		delay := time.Duration(rng.IntN(200)) * time.Microsecond
		wrote := make(chan error, 1)
		a.SetReadDeadline(time.Now().Add(time.Duration(rng.IntN(200)) * time.Microsecond))
		go func() {
			time.Sleep(delay) // jitter the race, not synchronization
			_, err := b.Send([]byte{want})
			wrote <- err
		}()
		got, err := a.Recv(page[:64])
		if err == nil {
			if got != 1 || page[0] != want {
				t.Fatalf("round %d: Recv = %d bytes, page[0] = %#x, want 1 byte %#x", i, got, page[0], want)
			}
			page[0] = 0xAA
			hits++
		} else if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: Recv: %v", i, err)
		} else {
			timeouts++
		}
		if err := unix.Mprotect(page, unix.PROT_READ); err != nil {
			t.Fatal(err)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		if err != nil { // the byte is still in the socket: the cancelled Recv did not take it
			a.SetReadDeadline(time.Now().Add(10 * time.Second))
			k, err := a.Recv(spare)
			if err != nil || k != 1 || spare[0] != want {
				t.Fatalf("round %d: after a timed-out Recv, the next got %d bytes %v (%v), want %#x: the cancelled request took it", i, k, spare[:k], err, want)
			}
		}
		if !allAA(page) {
			t.Fatalf("round %d: the page changed after Recv returned", i)
		}
		if err := unix.Mprotect(page, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rounds: %d data, %d timeouts", n, hits, timeouts)
	if timeouts == 0 || hits == 0 {
		t.Logf("only one outcome happened; the race was not exercised both ways")
	}
}

func allAA(p []byte) bool {
	for _, c := range p {
		if c != 0xAA {
			return false
		}
	}
	return true
}

// TestCancelSafetyClose is TestCancelSafety with Close as the canceller: the
// pending Recv returns net.ErrClosed and its page is protected at once.
func TestCancelSafetyClose(t *testing.T) {
	requireRing(t)
	page, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(page)
	for i := range scale(500, 100) {
		for j := range page {
			page[j] = 0xAA
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(fds[0])
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { _, err := a.Recv(page[:64]); errc <- err }()
		if i%2 == 0 {
			runtime.Gosched()
		}
		a.Close()
		err = <-errc
		unix.Mprotect(page, unix.PROT_READ)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			t.Fatalf("round %d: Recv after Close: %v", i, err)
		}
		// The descriptor is closed by now (the Recv returned, Close has
		// run): whatever the peer writes reaches nobody.
		unix.Write(fds[1], []byte("x"))
		if !allAA(page) {
			t.Fatalf("round %d: the page changed after Recv returned", i)
		}
		unix.Close(fds[1])
		unix.Mprotect(page, unix.PROT_READ|unix.PROT_WRITE)
	}
}

// TestCloseBeforeSubmit: Close runs to its end, its cancel by descriptor
// answered by the kernel, after a Recv has checked the Conn open but before
// its request reaches the ring, so nothing cancels that request. The Recv
// must still see the Close (Close leaves a token in each direction, and a
// waiting call cancels its own request) and return net.ErrClosed, and not
// sleep until the peer writes.
func TestCloseBeforeSubmit(t *testing.T) {
	requireRing(t)
	a, _ := pair(t, unix.SOCK_STREAM, WithRingOnly())
	testHookSubmit = func(l *lifecycle) {
		if l != &a.life {
			return
		}
		a.Close()
		a.life.ops.Wait() // the kernel has answered Close's cancel
	}
	defer func() { testHookSubmit = nil }()
	errc := make(chan error, 1)
	go func() { _, err := a.Recv(make([]byte, 1)); errc <- err }()
	// On failure, the peer's Close at cleanup ends the request, and the Recv.
	wantClosed(t, errc, 10*time.Second, "Recv closed before its request reached the ring")
}

// wantClosed fails the test unless the call that reports on errc returns an
// error wrapping net.ErrClosed within d.
func wantClosed(t *testing.T, errc <-chan error, d time.Duration, call string) {
	t.Helper()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s: %v, want net.ErrClosed", call, err)
		}
	case <-time.After(d):
		t.Fatalf("%s: still pending after %v", call, d)
	}
}

func TestOp(t *testing.T) {
	requireRing(t)
	a, b := pair(t, unix.SOCK_SEQPACKET)
	buf := make([]byte, 16)
	op := a.RecvAsync(buf)
	select {
	case <-op.Done():
		t.Fatal("RecvAsync done before anything was sent")
	default:
	}
	if n, err := b.SendAsync([]byte("ping")).Wait(); n != 4 || err != nil {
		t.Fatalf("SendAsync: %d, %v", n, err)
	}
	<-op.Done()
	n, err := op.Wait()
	if n != 4 || err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("RecvAsync: %d %q %v", n, buf[:n], err)
	}
	// Wait again: the same result, nothing resubmitted.
	if n2, err2 := op.Wait(); n2 != n || err2 != err {
		t.Fatalf("second Wait: %d, %v; want %d, %v", n2, err2, n, err)
	}
	op.Cancel() // on a done Op: nothing

	op = a.RecvAsync(buf)
	op.Cancel()
	if n, err := op.Wait(); !errors.Is(err, ErrCanceled) || n != 0 {
		t.Fatalf("cancelled RecvAsync: %d, %v; want ErrCanceled", n, err)
	}

	if n, err := a.RecvAsync(nil).Wait(); n != 0 || err != nil {
		t.Fatalf("zero-length RecvAsync: %d, %v", n, err)
	}

	op = a.RecvAsync(buf)
	a.Close()
	if _, err := op.Wait(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("RecvAsync pending at Close: %v, want net.ErrClosed", err)
	}
	if _, err := a.RecvAsync(buf).Wait(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("RecvAsync after Close: %v, want net.ErrClosed", err)
	}
	if _, err := a.SendAsync(buf).Wait(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SendAsync after Close: %v, want net.ErrClosed", err)
	}
}

// TestOpsUnwaitedAtClose: Ops nobody waits for are cancelled by Close, and
// close(2) waits for them (goleak and the descriptor check would catch a
// request left behind).
func TestOpsUnwaitedAtClose(t *testing.T) {
	requireRing(t)
	a, _ := pair(t, unix.SOCK_DGRAM)
	ops := make([]*Op, 32)
	for i := range ops {
		ops[i] = a.RecvAsync(make([]byte, 8))
	}
	a.Close()
	for i, op := range ops {
		select {
		case <-op.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("op %d not done 10s after Close", i)
		}
	}
}

// TestManyRecvAsync keeps many receives in flight from one goroutine.
func TestManyRecvAsync(t *testing.T) {
	requireRing(t)
	const n = 64
	as, bs := make([]*Conn, n), make([]*Conn, n)
	ops := make([]*Op, n)
	bufs := make([][]byte, n)
	for i := range as {
		as[i], bs[i] = pair(t, unix.SOCK_STREAM)
		bufs[i] = make([]byte, 32)
		ops[i] = as[i].RecvAsync(bufs[i])
	}
	for i := n - 1; i >= 0; i-- {
		if _, err := bs[i].Send([]byte("msg " + strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, op := range ops {
		k, err := op.Wait()
		if err != nil || string(bufs[i][:k]) != "msg "+strconv.Itoa(i) {
			t.Fatalf("op %d: %q, %v", i, bufs[i][:k], err)
		}
	}
}

// TestRegularFile: READ and WRITE work on a regular file, at the file
// position, which they advance like read(2) and write(2).
func TestRegularFile(t *testing.T) {
	requireRing(t)
	fd, err := unix.Open(t.TempDir()+"/f", unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send([]byte("hello, ")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send([]byte("file")); err != nil {
		t.Fatal(err)
	}
	if off, _ := unix.Seek(fd, 0, io.SeekCurrent); off != 11 {
		t.Fatalf("file position after two Sends = %d, want 11", off)
	}
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	var got []byte
	for {
		n, err := c.Recv(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != "hello, file" {
		t.Fatalf("read back %q", got)
	}
	if c.LocalAddr() != nil || c.RemoteAddr() != nil {
		t.Fatal("a file has addresses")
	}
}

// skipRecorder stands in for testing.TB to see what requireRing does.
type skipRecorder struct {
	testing.TB
	skipped string
}

func (s *skipRecorder) Skip(args ...any) { s.skipped = fmt.Sprint(args...) }
func (s *skipRecorder) Helper()          {}

// TestUnsupported forces io_uring_setup to fail as under Docker's default
// seccomp profile, on a kernel where it works: New and NewRing must refuse
// with an error that wraps errors.ErrUnsupported and says what to do, leave
// the descriptor to the caller, and the tests skip with that message.
func TestUnsupported(t *testing.T) {
	requireRing(t)
	for _, errno := range []syscall.Errno{unix.EPERM, unix.ENOSYS, unix.EACCES} {
		restore := uring.ForceSetupError(errno)
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			restore()
			t.Fatal(err)
		}
		_, err = New(fds[0])
		_, rerr := NewRing(0)
		var rec skipRecorder
		requireRing(&rec)
		restore()
		if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, errno) {
			t.Errorf("%v: New: %v; want ErrUnsupported and the errno", errno, err)
		}
		if !errors.Is(rerr, errors.ErrUnsupported) {
			t.Errorf("%v: NewRing: %v; want ErrUnsupported", errno, rerr)
		}
		if msg := fmt.Sprint(err); !strings.Contains(msg, "fix:") || !strings.Contains(msg, "async.New") {
			t.Errorf("%v: %q does not name the model and a fix", errno, msg)
		}
		if rec.skipped == "" || !strings.Contains(rec.skipped, "io_uring unavailable") {
			t.Errorf("%v: the tests would not skip with the reason (skip message %q)", errno, rec.skipped)
		}
		// The caller still owns the descriptor.
		if _, err := unix.Write(fds[0], []byte("x")); err != nil {
			t.Errorf("%v: the descriptor was closed by a failed New: %v", errno, err)
		}
		unix.Close(fds[0])
		unix.Close(fds[1])
		t.Logf("%v: %v", errno, err)
	}
}

// TestWithRing: a Conn on its own ring; the ring outlives its Close while
// Conns use it, and stops after the last (goleak checks the thread's
// goroutine is gone).
func TestWithRing(t *testing.T) {
	requireRing(t)
	r, err := NewRing(64)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pair(t, unix.SOCK_STREAM, WithRing(r), WithRingOnly())
	r.Close()
	if _, err := a.Send([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(b, buf); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Ops < 2 || s.Enters == 0 {
		t.Fatalf("ring stats %+v", s)
	}
	a.Close()
	b.Close()
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if _, err := New(fds[0], WithRing(r)); !errors.Is(err, uring.ErrRingClosed) {
		t.Fatalf("New on a stopped ring: %v", err)
	}
}

func threads(t testing.TB) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// TestIdleRecvs: thousands of pending Recvs cost no thread each: they wait in
// the ring, their goroutines parked.
func TestIdleRecvs(t *testing.T) {
	requireRing(t)
	n := scale(5000, 1000)
	before := threads(t)
	as, bs := make([]*Conn, n), make([]*Conn, n)
	for i := range as {
		as[i], bs[i] = pair(t, unix.SOCK_STREAM)
	}
	var g modeltest.Group
	for i := range as {
		g.Go(func() error {
			buf := make([]byte, 8)
			k, err := as[i].Recv(buf)
			if err == nil && string(buf[:k]) != "go" {
				err = fmt.Errorf("conn %d got %q", i, buf[:k])
			}
			return err
		})
	}
	// Wait until every Recv is in the ring (they share the default ring).
	deadline := time.Now().Add(30 * time.Second)
	for {
		active := as[0].RingStats().Active
		if active == uint64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d Recvs in the ring after 30s", active, n)
		}
		time.Sleep(time.Millisecond)
	}
	during := threads(t)
	limit := before + runtime.GOMAXPROCS(0) + 4
	t.Logf("%d idle Recvs: %d threads before, %d during (limit %d)", n, before, during, limit)
	if during > limit {
		t.Errorf("%d threads with %d idle Recvs, want at most %d", during, n, limit)
	}
	for _, c := range bs {
		if _, err := c.Send([]byte("go")); err != nil {
			t.Fatal(err)
		}
	}
	g.Wait(t, modeltest.Step, `the Recvs woken by "go"`)
}

// TestStress moves random bytes both ways over many pairs at once and
// compares them. Sizes: the 2000 pairs x 1 MiB with
// IOMODEL_STRESS=full, 128 x 256 KiB by default, 16 x 64 KiB with -short.
func TestStress(t *testing.T) {
	requireRing(t)
	pairs, size := scale(128, 16), scale(256<<10, 64<<10)
	if os.Getenv("IOMODEL_STRESS") == "full" {
		pairs, size = 2000, 1<<20
	}
	var g modeltest.Group
	for i := range pairs {
		a, b := pair(t, unix.SOCK_STREAM)
		for dir, ends := range [][2]*Conn{{a, b}, {b, a}} {
			src, dst := ends[0], ends[1]
			rng := rand.New(rand.NewPCG(uint64(i), uint64(dir)))
			data := make([]byte, size)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			g.Go(func() error {
				for off := 0; off < len(data); {
					k := min(1+rng.IntN(64<<10), len(data)-off)
					if _, err := src.Send(data[off : off+k]); err != nil {
						return err
					}
					off += k
				}
				return nil
			})
			g.Go(func() error {
				got := make([]byte, 0, len(data))
				buf := make([]byte, 48<<10)
				for len(got) < len(data) {
					k, err := dst.Recv(buf)
					if err != nil {
						return err
					}
					got = append(got, buf[:k]...)
				}
				if !bytes.Equal(got, data) {
					return fmt.Errorf("pair %d: bytes differ", i)
				}
				return nil
			})
		}
	}
	g.Wait(t, 3*time.Minute, "the pairs' streams")
}

// TestBatching: with many busy Conns, many operations share one
// io_uring_enter.
func TestBatching(t *testing.T) {
	r := ownRing(t, 0)
	const conns, rounds = 64, 200
	var g modeltest.Group
	before := r.Stats()
	for range conns {
		a, b := pair(t, unix.SOCK_STREAM, WithRing(r), WithRingOnly())
		g.Go(func() error {
			buf := make([]byte, 64)
			for range rounds {
				if _, err := a.Send(buf); err != nil {
					return err
				}
				if _, err := io.ReadFull(b, buf); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Wait(t, time.Minute, "the round trips")
	s := r.Stats()
	ops, enters := s.Ops-before.Ops, s.Enters-before.Enters
	t.Logf("%d busy conns: %d ops in %d enters: %.3f enters/op", conns, ops, enters, float64(enters)/float64(ops))
	if enters >= ops {
		t.Errorf("%d enters for %d ops: no batching", enters, ops)
	}
}

// TestDeadlineLinkedTimeout: a Recv with a deadline goes to the kernel with a
// linked timeout (two SQEs), and the timeout ends it with
// os.ErrDeadlineExceeded after both completions are reaped. A deadline
// that passed before Recv looked at it (the test's goroutine kept off the
// CPU for 30 ms, which a loaded -race run does) is refused without a
// request: such a try proves nothing, and the test tries again, up to 5
// times.
func TestDeadlineLinkedTimeout(t *testing.T) {
	r := ownRing(t, 64)
	a, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
	for try := 1; ; try++ {
		before := r.Stats()
		start := time.Now()
		a.SetReadDeadline(start.Add(30 * time.Millisecond))
		_, err := a.Recv(make([]byte, 8))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Recv: %v, want a deadline error", err)
		}
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Fatalf("%v is not a net.Error with Timeout() true", err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Fatalf("Recv returned after %v, before its deadline", d)
		}
		s := r.Stats()
		if n := s.Submitted - before.Submitted; n == 0 && try < 5 {
			t.Logf("try %d: the deadline had passed before Recv began; again", try)
			continue
		} else if n < 2 {
			t.Fatalf("%d SQEs submitted for a Recv with a deadline, want the RECV and its LINK_TIMEOUT", n)
		}
		if s.MaxInFlight > s.Size {
			t.Fatalf("%d completions in flight, ring holds %d", s.MaxInFlight, s.Size)
		}
		return
	}
}

// TestSendDeadlineMovedKeepsBytes moves the write deadline again and again
// while a large Send is stalled on a full socket: each move cancels and
// resubmits the SEND, and the stream must still arrive byte-exact (a
// cancelled request must never have sent bytes that the Send then sends
// again).
func TestSendDeadlineMovedKeepsBytes(t *testing.T) {
	requireRing(t)
	a, b := pair(t, unix.SOCK_STREAM)
	data := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sent := make(chan error, 1)
	go func() {
		_, err := a.Send(data)
		sent <- err
	}()
	for range 50 {
		a.SetWriteDeadline(time.Now().Add(time.Hour))
		runtime.Gosched()
	}
	got := make([]byte, 0, len(data))
	buf := make([]byte, 64<<10)
	for len(got) < len(data) {
		if len(got) < len(data)/2 {
			a.SetWriteDeadline(time.Now().Add(time.Hour)) // keep moving it while the Send runs
		}
		n, err := b.Recv(buf)
		if err != nil {
			t.Fatalf("Recv after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		i := 0
		for i < len(got) && got[i] == data[i] {
			i++
		}
		t.Fatalf("stream differs from byte %d on", i)
	}
}

// TestAcceptDeadline: a deadline set while Accept is pending ends it with a
// timeout; a later Accept still works.
func TestAcceptDeadline(t *testing.T) {
	requireRing(t)
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errc := make(chan error, 1)
	go func() { _, err := l.AcceptConn(); errc <- err }()
	for l.fd.Stats().Read.Syscalls == 0 { // the ACCEPT is in the ring
		runtime.Gosched()
	}
	l.SetDeadline(time.Now().Add(-time.Second))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Accept after the deadline moved into the past: %v", err)
	}
	l.SetDeadline(time.Time{})
	go func() {
		c, err := Dial("tcp", l.Addr().String())
		if err == nil {
			c.Close()
		}
	}()
	c, err := l.AcceptConn()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestCloseManyOnSmallRing closes hundreds of Conns with pending Recvs at
// once on a ring whose queues are far smaller: cancels wait for room in the
// submission queue, Recvs outnumber the completion queue's entries, and
// every one still ends with net.ErrClosed.
func TestCloseManyOnSmallRing(t *testing.T) {
	r := ownRing(t, 16)
	n := scale(300, 100)
	conns := make([]*Conn, n)
	errc := make(chan error, n)
	for i := range conns {
		a, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
		conns[i] = a
		go func() { _, err := a.Recv(make([]byte, 8)); errc <- err }()
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.Close() })
	}
	wg.Wait()
	for range conns {
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Recv pending at Close: %v", err)
		}
	}
	s := r.Stats()
	t.Logf("ring of %d: at most %d in flight", s.Size, s.MaxInFlight)
}

// TestDeadlineChurnOnSmallRing: many Conns on a tiny ring receive with short
// random deadlines while their peers send at random moments. Linked
// timeouts, cancels and the backlog all run at once; every byte sent must be
// received exactly once.
func TestDeadlineChurnOnSmallRing(t *testing.T) {
	r := ownRing(t, 16)
	conns, msgs := scale(64, 16), scale(40, 15)
	var timeouts atomic.Int64
	var g modeltest.Group
	for i := range conns {
		a, b := pair(t, unix.SOCK_STREAM, WithRing(r))
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		delays := make([]time.Duration, msgs)
		for j := range delays {
			delays[j] = time.Duration(rng.IntN(1000)) * time.Microsecond
		}
		g.Go(func() error {
			for j := range msgs {
				time.Sleep(delays[j]) // pacing, not synchronization
				if _, err := b.Send([]byte{byte(j)}); err != nil {
					return err
				}
			}
			return nil
		})
		g.Go(func() error {
			buf := make([]byte, 4)
			var got []byte
			for len(got) < msgs {
				a.SetReadDeadline(time.Now().Add(time.Duration(rng.IntN(500)) * time.Microsecond))
				n, err := a.Recv(buf)
				got = append(got, buf[:n]...)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					timeouts.Add(1)
				} else if err != nil {
					return err
				}
			}
			for j, c := range got {
				if c != byte(j) {
					return fmt.Errorf("conn %d: byte %d is %d: lost or duplicated", i, j, c)
				}
			}
			return nil
		})
	}
	g.Wait(t, time.Minute, "the senders and receivers")
	s := r.Stats()
	t.Logf("%d Recvs timed out; at most %d of %d completions in flight", timeouts.Load(), s.MaxInFlight, s.Size)
}

// TestOpCancelSafety is TestCancelSafety for the completion API: Op.Cancel
// races the peer's datagram; once Wait returns the page is read-only, and a
// cancelled receive must not have taken the datagram.
func TestOpCancelSafety(t *testing.T) {
	requireRing(t)
	a, b := pair(t, unix.SOCK_DGRAM)
	page, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(page)
	rng := rand.New(rand.NewPCG(5, 6))
	spare := make([]byte, 16)
	var cancelled, hits int
	for i := range scale(2000, 300) {
		for j := range page {
			page[j] = 0xAA
		}
		want := byte(i)
		op := a.RecvAsync(page[:64])
		sendDelay := time.Duration(rng.IntN(100)) * time.Microsecond
		wrote := make(chan error, 1)
		go func() {
			time.Sleep(sendDelay) // jitter the race
			_, err := b.Send([]byte{want})
			wrote <- err
		}()
		time.Sleep(time.Duration(rng.IntN(100)) * time.Microsecond) // jitter the race
		op.Cancel()
		n, err := op.Wait()
		unix.Mprotect(page, unix.PROT_READ)
		if werr := <-wrote; werr != nil {
			t.Fatal(werr)
		}
		switch {
		case err == nil:
			if n != 1 || page[0] != want {
				t.Fatalf("round %d: got %d bytes, page[0]=%#x, want %#x", i, n, page[0], want)
			}
			hits++
		case errors.Is(err, ErrCanceled):
			cancelled++
			a.SetReadDeadline(time.Now().Add(10 * time.Second))
			k, err := a.Recv(spare)
			if err != nil || k != 1 || spare[0] != want {
				t.Fatalf("round %d: after a cancelled RecvAsync, Recv got %v (%v), want %#x", i, spare[:k], err, want)
			}
			if !allAA(page) {
				t.Fatalf("round %d: the page of a cancelled RecvAsync changed", i)
			}
		default:
			t.Fatalf("round %d: Wait: %v", i, err)
		}
		unix.Mprotect(page, unix.PROT_READ|unix.PROT_WRITE)
	}
	t.Logf("%d received, %d cancelled", hits, cancelled)
}

// TestSpeculation: on a socket, a Send that fits and a Recv whose data is
// already there complete on the caller's own system call, without the ring;
// a Recv that must wait goes to the ring, and the kernel completes it when
// the peer writes. WithRingOnly puts every call on the ring.
func TestSpeculation(t *testing.T) {
	r := ownRing(t, 0)
	a, b := pair(t, unix.SOCK_STREAM, WithRing(r))
	s0 := r.Stats()
	if _, err := a.Send([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Ops != s0.Ops || s.Active != 0 {
		t.Errorf("a Send with room and a Recv with data made %d ring operations (%d active), want none", s.Ops-s0.Ops, s.Active)
	}

	got := make(chan error, 1)
	go func() {
		n, err := b.Recv(buf)
		if err == nil && string(buf[:n]) != "pong" {
			err = fmt.Errorf("Recv got %q, want %q", buf[:n], "pong")
		}
		got <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); r.Stats().Active == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a Recv with nothing to read never reached the ring")
		}
	}
	if _, err := a.Send([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Ops != s0.Ops+1 {
		t.Errorf("the waiting Recv made %d ring operations, want 1", s.Ops-s0.Ops)
	}
	if st := b.Stats().Read; st.WouldBlock == 0 || st.Bytes != 8 {
		t.Errorf("b's read stats %+v: want a would-block and 8 bytes", st)
	}

	c, d := pair(t, unix.SOCK_STREAM, WithRing(r), WithRingOnly())
	s1 := r.Stats()
	if _, err := c.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recv(buf); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Ops != s1.Ops+2 {
		t.Errorf("WithRingOnly: a Send and a Recv made %d ring operations, want 2", s.Ops-s1.Ops)
	}
}

// TestSpeculationCrowded: while more calls are parked than there are Ps, a
// Recv whose previous Recv had to wait goes straight to the ring, without a
// speculative recv(2); once the crowd is gone it speculates again.
func TestSpeculationCrowded(t *testing.T) {
	r := ownRing(t, 0)
	a, b := pair(t, unix.SOCK_STREAM, WithRing(r))
	buf := make([]byte, 8)

	// recvWaiting receives on b once its Recv is in the ring, by sending
	// on a when the ring's active count has grown by one.
	recvWaiting := func(msg string) iomodel.DirStats {
		t.Helper()
		before := b.Stats().Read
		active := r.Stats().Active
		got := make(chan error, 1)
		go func() {
			n, err := b.Recv(buf)
			if err == nil && string(buf[:n]) != msg {
				err = fmt.Errorf("Recv got %q, want %q", buf[:n], msg)
			}
			got <- err
		}()
		for deadline := time.Now().Add(10 * time.Second); r.Stats().Active <= active; time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				t.Fatal("the Recv never reached the ring")
			}
		}
		if _, err := a.Send([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		after := b.Stats().Read
		return iomodel.DirStats{Syscalls: after.Syscalls - before.Syscalls, WouldBlock: after.WouldBlock - before.WouldBlock}
	}

	// A crowd: more Recvs parked than there are Ps.
	crowd := runtime.GOMAXPROCS(0) + 2
	var wg sync.WaitGroup
	peers := make([]*Conn, crowd)
	for i := range crowd {
		c, d := pair(t, unix.SOCK_STREAM, WithRing(r))
		peers[i] = d
		wg.Go(func() { c.Recv(make([]byte, 1)) })
	}
	for deadline := time.Now().Add(10 * time.Second); !iofd.Crowded(); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d parked Recvs do not make a crowd", crowd)
		}
	}
	recvWaiting("one") // served by the ring: the next may skip speculation
	if d := recvWaiting("two"); d.Syscalls != 1 || d.WouldBlock != 0 {
		t.Errorf("crowded, after a Recv that waited: %d syscalls and %d would-blocks, want 1 (the ring request) and 0", d.Syscalls, d.WouldBlock)
	}

	for _, d := range peers {
		d.Send([]byte("x"))
	}
	wg.Wait()
	// No crowd: data already there is read on the caller's thread.
	ops := r.Stats().Ops
	if _, err := a.Send([]byte("three")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, buf[:5]); err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().Ops - ops; got != 0 {
		t.Errorf("uncrowded, with data waiting: %d ring operations, want 0 (speculation)", got)
	}
}

// TestCloseIdleSubmitsNothing: closing a Conn with nothing in flight puts
// nothing on the ring. Close used to cancel by descriptor every time, and
// the kernel matches such a cancel against every request the ring has
// armed: with Connection: close and 5000 waiting connections under wrk,
// the ring's thread spent a third of its time there. With an Op in flight,
// Close still cancels it.
func TestCloseIdleSubmitsNothing(t *testing.T) {
	r := ownRing(t, 0)
	a, b := pair(t, unix.SOCK_STREAM, WithRing(r))
	if _, err := b.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Recv(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	before := r.Stats().Submitted
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := r.Stats().Submitted - before; n != 0 {
		t.Errorf("Close of an idle Conn submitted %d requests to the ring, want 0", n)
	}

	c, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
	op := c.RecvAsync(make([]byte, 1))
	before = r.Stats().Submitted
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Wait(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("RecvAsync pending at Close: %v, want net.ErrClosed", err)
	}
	if n := r.Stats().Submitted - before; n == 0 {
		t.Errorf("Close with a RecvAsync in flight submitted nothing: no cancel")
	}
}
