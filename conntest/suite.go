package conntest

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// Traits says what kind of connection a pair is and what the Conn under
// test cannot do. A non-empty reason string makes the suite skip the checks
// that need the capability, with that reason.
type Traits struct {
	// Messages: each Send is one message and each Recv returns one
	// (datagram and seqpacket sockets).
	Messages bool
	// Connectionless: there is no connection to lose (datagram sockets):
	// no io.EOF, no EPIPE.
	Connectionless bool
	// Lossy: the transport drops messages when the receiver falls behind
	// (UDP), so only flow-controlled transfers are checked.
	Lossy bool
	// OneWay: A can only Send and B only Recv (a pipe).
	OneWay bool

	// NoDeadlines is why the Conn has no deadlines on this pair.
	NoDeadlines string
	// DeadlineAtCallStart is why a deadline set while a call is pending
	// does not reach that call.
	DeadlineAtCallStart string
	// CloseCannotInterrupt is why Close does not unblock a call that is
	// already waiting on this pair.
	CloseCannotInterrupt string
}

// Pipe is a connected pair for one subtest. A and B are both Conns under
// test. Stop, if not nil, releases anything else the pair made; the suite
// calls it after closing A and B.
type Pipe struct {
	A, B iomodel.Conn
	Stop func()
}

// MakePipe makes a fresh Pipe for each subtest.
type MakePipe func() (Pipe, error)

// Watchdog is how long one subtest, its cleanups included, may run before
// the suite declares it hung, dumps every goroutine and fails the test
// binary.
var Watchdog = 60 * time.Second

// Run runs the conformance suite on pairs made by mp, one subtest per
// behaviour. Subtests run one after another (the descriptor checks look
// for descriptors left open, which a parallel subtest would be opening).
func Run(t *testing.T, mp MakePipe, tr Traits) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != nil {
				if why := tc.skip(tr); why != "" {
					t.Skip(why)
				}
			}
			watch(t, tc.name, func() { tc.run(t, mp, tr) })
		})
	}
}

// RunFDs runs the suite on every pair in pairs, each end wrapped by newConn
// (a model's New); see FDPairs.
func RunFDs(t *testing.T, newConn func(fd int) (iomodel.Conn, error), pairs []FDPair) {
	for _, p := range pairs {
		t.Run(p.Name, func(t *testing.T) {
			Run(t, FromFDs(p.Make, newConn), p.Traits)
		})
	}
}

// FromFDs makes a MakePipe from a raw pair maker and a model's New.
func FromFDs(mk func() (int, int, error), newConn func(fd int) (iomodel.Conn, error)) MakePipe {
	return func() (Pipe, error) {
		a, b, err := mk()
		if err != nil {
			return Pipe{}, err
		}
		ca, err := newConn(a)
		if err != nil {
			closeFDs(a, b)
			return Pipe{}, fmt.Errorf("New(%d): %w", a, err)
		}
		cb, err := newConn(b)
		if err != nil {
			ca.Close()
			closeFDs(b)
			return Pipe{}, fmt.Errorf("New(%d): %w", b, err)
		}
		return Pipe{A: ca, B: cb}, nil
	}
}

type testCase struct {
	name string
	skip func(Traits) string // the reason to skip, or ""
	run  func(t *testing.T, mp MakePipe, tr Traits)
}

// open makes a pipe for t and closes it when t ends.
func open(t *testing.T, mp MakePipe) Pipe {
	t.Helper()
	p, err := mp()
	if err != nil {
		t.Fatalf("making the pipe: %v", err)
	}
	t.Cleanup(func() {
		p.A.Close()
		p.B.Close()
		if p.Stop != nil {
			p.Stop()
		}
	})
	return p
}

// watch runs f, failing loudly with every goroutine's stack if it, or a
// cleanup it registers, outlives the watchdog. A hung call cannot be abandoned safely (it may still touch
// t), so the test binary stops there.
func watch(t *testing.T, name string, f func()) {
	timer := time.AfterFunc(Watchdog, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "conntest: %s hung for %v; goroutines:\n%s\n", t.Name(), Watchdog, buf)
		panic(fmt.Sprintf("conntest: %s (%s) hung for %v", t.Name(), name, Watchdog))
	})
	// Registered before f registers its own, so it runs after them: a
	// cleanup that hangs (an engine's Shutdown waiting for a loop that
	// never wakes) is caught too, and named.
	t.Cleanup(func() { timer.Stop() })
	f()
}

func skipIf(cond func(Traits) bool, why string) func(Traits) string {
	return func(tr Traits) string {
		if cond(tr) {
			return why
		}
		return ""
	}
}

func anyOf(fs ...func(Traits) string) func(Traits) string {
	return func(tr Traits) string {
		for _, f := range fs {
			if why := f(tr); why != "" {
				return why
			}
		}
		return ""
	}
}

var (
	skipOneWay  = skipIf(func(tr Traits) bool { return tr.OneWay }, "a one-way pair (pipe) cannot answer back")
	skipLossy   = skipIf(func(tr Traits) bool { return tr.Lossy }, "UDP drops datagrams when the receiver falls behind: only flow-controlled transfers are checked")
	skipMessage = skipIf(func(tr Traits) bool { return tr.Messages }, "checks a byte stream; this pair carries messages")
	skipStream  = skipIf(func(tr Traits) bool { return !tr.Messages }, "checks message boundaries; this pair is a byte stream")
	skipNoConn  = skipIf(func(tr Traits) bool { return tr.Connectionless }, "a datagram socket has no connection to end")
	skipNoDL    = func(tr Traits) string { return tr.NoDeadlines }
	skipDLStart = func(tr Traits) string { return tr.DeadlineAtCallStart }
	skipNoClose = func(tr Traits) string { return tr.CloseCannotInterrupt }
)

func describe(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%v (%T)", err, err)
}
