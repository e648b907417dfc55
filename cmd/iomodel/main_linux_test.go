package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/uring"
)

// TestMain is the program itself when a test runs it as a child process
// (IOMODEL_MAIN=1: the bench's peer and workers, the SIGINT test), and the
// tests otherwise.
func TestMain(m *testing.M) {
	// IOMODEL_FORCE_NO_URING=1 makes io_uring_setup fail with EPERM, as
	// under Docker's default seccomp profile, in this process and the
	// program's processes it starts.
	if os.Getenv("IOMODEL_FORCE_NO_URING") != "" {
		uring.ForceSetupError(unix.EPERM)
	}
	if os.Getenv("IOMODEL_MAIN") == "1" {
		main()
	}
	goleak.VerifyTestMain(m)
}

// result is what one in-process run of the program did.
type result struct {
	code        int
	stdout, err string
}

// runArgs runs the program in-process with args and no input.
func runArgs(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, stdio{strings.NewReader(""), &out, &errb})
	return result{code, out.String(), errb.String()}
}

// lines is an io.Writer that hands each complete line to a channel as well
// as keeping all it got.
type lines struct {
	mu   sync.Mutex
	all  bytes.Buffer
	part []byte
	ch   chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 100)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		select {
		case l.ch <- string(l.part[:i]):
		default:
		}
		l.part = l.part[i+1:]
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// running is `iomodel serve` running in-process.
type running struct {
	addr   string
	cancel context.CancelFunc
	done   chan int
	stderr *lines
}

// startServer runs serve with args (the address last) and waits for the
// line that gives its address.
func startServer(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errl := newLines(), newLines()
	s := &running{cancel: cancel, done: make(chan int, 1), stderr: errl}
	go func() {
		s.done <- run(ctx, append([]string{"serve"}, args...), stdio{strings.NewReader(""), out, errl})
	}()
	select {
	case line := <-out.ch:
		s.addr = addrOf(t, line)
	case code := <-s.done:
		cancel()
		t.Fatalf("serve %q exited with %d: %s", args, code, errl.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("serve %q did not start", args)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the server, as SIGINT does, and checks it ends cleanly.
func (s *running) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("serve exited with %d: %s", code, s.stderr.String())
		}
		if strings.Contains(s.stderr.String(), "did not return after Close") {
			// A model's bug, which serve works around: reported, not
			// failed, so that this package's tests stay about the tool.
			t.Logf("KNOWN MODEL BUG: %s", s.stderr.String())
		}
	case <-time.After(10 * time.Second):
		var stacks strings.Builder
		pprof.Lookup("goroutine").WriteTo(&stacks, 2)
		t.Errorf("serve did not stop within 10 s; stderr %q; goroutines:\n%s", s.stderr.String(), stacks.String())
	}
}

// addrOf takes the address from serve's first line, "... listening on ADDR".
func addrOf(t *testing.T, line string) string {
	t.Helper()
	_, addr, ok := strings.Cut(line, " listening on ")
	if !ok {
		t.Fatalf("serve's first line %q does not say where it listens", line)
	}
	return addr
}

// readLine reads one line from r with a deadline on c.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		t.Fatalf("reading the answer: %v (got %q)", err, s)
	}
	return s
}
