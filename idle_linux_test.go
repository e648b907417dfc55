package iomodel_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

// idleEnv names the model a child of BenchmarkIdleConn measures, and
// idleConnsEnv how many connections it parks.
const (
	idleEnv      = "IOMODEL_IDLE_MODEL"
	idleConnsEnv = "IOMODEL_IDLE_CONNS"
)

// idleConns is how many connections each child parks a Read on: 9000
// socketpairs are 18000 descriptors, below the 20000 the machines we
// measure on allow a process (the child raises its soft limit).
const idleConns = 9000

// idleModels are the models BenchmarkIdleConn measures, net first as the
// reference. The blocking model is left out: a parked Read is an OS
// thread (its stack and its kernel task), by design.
var idleModels = []string{"net", "nonblock", "multiplex", "sigdriven", "async"}

// BenchmarkIdleConn measures what an idle connection costs: one Read
// parked on each of idleConns socketpair Conns, the process's resident
// memory per connection (rss-B/conn: /proc/self/statm after a GC and
// debug.FreeOSMemory, less the same before the Conns were made), the part
// of it that is goroutine stacks (stack-B/conn) and live heap
// (heap-B/conn), and the CPU the process spends meanwhile (cpu-%: of one
// CPU, over half a second). nonblock's Reads never park: each retries on
// its Policy's timer, and parking 9000 of them on 2 shared CPUs took up to
// a few minutes, hence the generous bounds.
// Each model runs in a child process of its own (this test binary again,
// idleEnv set), so that no model's freed memory lowers the next one's
// figure; net's runs in the same benchmark, as the reference.
//
//	go test -run '^$' -bench IdleConn -benchtime 1x -count 3 .
func BenchmarkIdleConn(b *testing.B) {
	n := idleConns
	if testing.Short() {
		n = 500
	}
	for _, m := range idleModels {
		b.Run(m, func(b *testing.B) {
			var sum idleFigures
			for range b.N {
				f := runIdleChild(b, m, n)
				sum.rss += f.rss
				sum.cpu += f.cpu
				sum.stack += f.stack
				sum.heap += f.heap
			}
			runs := float64(b.N)
			b.ReportMetric(sum.rss/runs, "rss-B/conn")
			b.ReportMetric(sum.stack/runs, "stack-B/conn")
			b.ReportMetric(sum.heap/runs, "heap-B/conn")
			b.ReportMetric(sum.cpu/runs, "cpu-%")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// idleFigures is what a child of BenchmarkIdleConn measured: resident
// memory, goroutine stacks and live heap per connection (bytes), and the
// share of one CPU the process spent while they waited (%).
type idleFigures struct{ rss, cpu, stack, heap float64 }

// runIdleChild runs the child that measures model with n connections and
// reads its figures.
func runIdleChild(b *testing.B, model string, n int) (f idleFigures) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleEnv+"="+model, idleConnsEnv+"="+strconv.Itoa(n))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: starting the child: %v", model, err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Fatalf("%s: child: %v\n%s%s", model, err, out.String(), stderr.String())
		}
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
		b.Fatalf("%s: the child did not finish parking and measuring %d Reads in 5 minutes\n%s", model, n, stderr.String())
	}
	if _, err := fmt.Sscanf(out.String(), "idle %g %g %g %g", &f.rss, &f.cpu, &f.stack, &f.heap); err != nil {
		b.Fatalf("%s: child said %q: %v", model, out.String(), err)
	}
	return f
}

// idleChild is the child's work, called by TestMain when idleEnv is set:
// park a Read on each of n socketpair Conns of the model, and print the
// resident memory per Conn and the CPU spent while they wait. It returns
// the exit code.
func idleChild(model string) int {
	n, err := strconv.Atoi(os.Getenv(idleConnsEnv))
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "idle: %s=%q: want a positive count\n", idleConnsEnv, os.Getenv(idleConnsEnv))
		return 2
	}
	if err := raiseFDLimit(2*n + 64); err != nil {
		fmt.Fprintf(os.Stderr, "idle: %v\n", err)
		return 2
	}
	open, err := idleOpener(model)
	if err != nil {
		fmt.Fprintf(os.Stderr, "idle: %v\n", err)
		return 2
	}
	before := residentBytes()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	conns := make([]idleConn, 0, n)
	peers := make([]int, 0, n)
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		for _, p := range peers {
			unix.Close(p)
		}
	}
	defer closeAll()
	reads := make(chan error, n)
	for range n {
		sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintf(os.Stderr, "idle: socketpair: %v\n", err)
			return 1
		}
		peers = append(peers, sp[1])
		c, err := open(sp[0])
		if err != nil {
			unix.Close(sp[0])
			fmt.Fprintf(os.Stderr, "idle: %s: %v\n", model, err)
			return 1
		}
		conns = append(conns, c)
		go func() {
			var buf [1]byte
			_, err := c.Read(buf[:])
			reads <- err
		}()
	}
	// Wait until every Read is parked: our Conns count their waits; net's
	// parks in the runtime's netpoller, where nothing counts it, so every
	// model also gets the same settling time.
	deadline := time.Now().Add(3 * time.Minute)
	for !parked(conns) {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "idle: %s: the %d Reads did not all park within 3 minutes\n", model, n)
			return 1
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-reads:
		fmt.Fprintf(os.Stderr, "idle: %s: a Read returned while idle: %v\n", model, err)
		return 1
	default:
	}
	after := residentBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t0, c0 := time.Now(), cpuTime()
	time.Sleep(500 * time.Millisecond)
	cpu := float64(cpuTime()-c0) / float64(time.Since(t0)) * 100
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	fmt.Printf("idle %.0f %.1f %.0f %.0f\n", float64(after-before)/float64(n), cpu,
		per(ms.StackInuse, ms0.StackInuse), per(ms.HeapAlloc, ms0.HeapAlloc))
	closeAll()
	conns, peers = nil, nil
	for range n {
		<-reads
	}
	return 0
}

// idleConn is what the child needs of a Conn.
type idleConn interface {
	Read(p []byte) (int, error)
	Close() error
}

// idleOpener makes a Conn of a socket in model.
func idleOpener(model string) (func(fd int) (idleConn, error), error) {
	switch model {
	case "net":
		return func(fd int) (idleConn, error) {
			f := os.NewFile(uintptr(fd), "socketpair")
			c, err := net.FileConn(f) // a dup of fd
			f.Close()
			return c, err
		}, nil
	case "nonblock":
		return func(fd int) (idleConn, error) { return nonblock.New(fd) }, nil
	case "multiplex":
		return func(fd int) (idleConn, error) { return multiplex.New(fd) }, nil
	case "sigdriven":
		return func(fd int) (idleConn, error) { return sigdriven.New(fd) }, nil
	case "async":
		return func(fd int) (idleConn, error) { return async.New(fd) }, nil
	}
	return nil, fmt.Errorf("unknown model %q", model)
}

// parked reports whether every Conn's Read has waited at least once (a
// net.Conn counts nothing: true).
func parked(conns []idleConn) bool {
	for _, c := range conns {
		s, ok := c.(interface{ Stats() iomodel.Stats })
		if ok && s.Stats().Read.Waits == 0 {
			return false
		}
	}
	return true
}

// residentBytes is the process's resident memory once garbage is
// collected and freed memory given back (/proc/self/statm).
func residentBytes() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFDLimit raises the soft descriptor limit to at least want.
func raiseFDLimit(want int) error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur >= uint64(want) {
		return nil
	}
	if rl.Max < uint64(want) {
		return fmt.Errorf("RLIMIT_NOFILE hard limit %d is below the %d descriptors needed (lower %s)", rl.Max, want, idleConnsEnv)
	}
	rl.Cur = uint64(want)
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
}
