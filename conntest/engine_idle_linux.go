package conntest

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

// BenchEngineIdle measures what an idle connection costs an echo Engine
// made by ne: conns clients in this process (raw sockets, so that they
// hold nothing on the Go heap), 64 connecting at a time, each have one
// 64-byte round trip and are left open. Per connection it reports the Go
// heap still live after a GC (heap-B/conn); what the accepts and the round
// trips allocated in all, garbage included (alloc-B/conn, allocs/conn);
// and how much the heap's memory held from the system grew before that GC
// (heapsys-B/conn: the Go heap's part of the resident memory `iomodel load
// -shapes idle` reads of a server, which grows with the live heap and with
// the garbage not yet collected). Memory the kernel holds for the sockets,
// an epoll registration or a ring's requests is in none of them. Each b.N
// is a new engine and conns new connections; the figures are their means.
func BenchEngineIdle(b *testing.B, ne NewEngine, conns int) {
	hard, err := raiseNoFile()
	if err != nil {
		b.Fatal(err)
	}
	// Each connection is two descriptors here, the client's and the
	// engine's; leave some for the rest of the process.
	if fit := (int(hard) - 256) / 2; fit < conns {
		if fit < 100 {
			b.Skipf("RLIMIT_NOFILE's hard limit %d leaves room for %d connections of the %d asked for", hard, max(fit, 0), conns)
		}
		b.Logf("%d connections, not %d: RLIMIT_NOFILE's hard limit is %d", fit, conns, hard)
		conns = fit
	}
	// A first engine, unmeasured, takes what the process makes once (the
	// runtime's own tables, pools), which the first figure would carry.
	if _, err := engineIdle(ne, min(conns, 1000)); err != nil {
		b.Fatal(err)
	}
	var sum idleFigures
	for range b.N {
		f, err := engineIdle(ne, conns)
		if err != nil {
			b.Fatal(err)
		}
		for i := range f {
			sum[i] += f[i]
		}
	}
	for i, unit := range idleUnits {
		b.ReportMetric(sum[i]/float64(b.N), unit)
	}
	b.ReportMetric(0, "ns/op")
}

// idleFigures is one run of BenchEngineIdle, per connection, in the order
// of idleUnits.
type idleFigures [4]float64

const (
	idleHeap   = iota // live heap after the GCs
	idleAlloc         // allocated, garbage included
	idleAllocs        // allocations
	idleHeld          // heap memory held from the system, before the GCs
)

var idleUnits = [...]string{idleHeap: "heap-B/conn", idleAlloc: "alloc-B/conn", idleAllocs: "allocs/conn", idleHeld: "heapsys-B/conn"}

// idleEcho is the smallest echo Handler: it keeps nothing per connection,
// so the figures are the engine's own.
type idleEcho struct{}

func (idleEcho) OnOpen(c iomodel.EventConn)             {}
func (idleEcho) OnClose(c iomodel.EventConn, err error) {}
func (idleEcho) OnData(c iomodel.EventConn, p []byte) int {
	c.Write(p) // an error closes the connection: its client's read fails
	return len(p)
}

func engineIdle(ne NewEngine, conns int) (f idleFigures, err error) {
	e, err := ne(idleEcho{}, iomodel.EngineConfig{})
	if err != nil {
		return f, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Shutdown(context.Background())
		return f, err
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	fds := make([]int, 0, conns)
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
		ctx, cancel := context.WithTimeout(context.Background(), step)
		defer cancel()
		if serr := e.Shutdown(ctx); serr != nil && err == nil {
			err = fmt.Errorf("the engine's Shutdown: %w", serr)
		}
		select {
		case <-served:
		case <-time.After(step):
			if err == nil {
				err = fmt.Errorf("the engine's Serve did not return within %v of Shutdown", step)
			}
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}

	// The first connection warms the engine up (its loops' buffers and
	// tables), outside the figures.
	if fds, err = idleClients(fds, sa, 1, 1); err != nil {
		return f, err
	}
	m0 := idleMem(true)
	if fds, err = idleClients(fds, sa, conns, idleConnecting); err != nil {
		return f, err
	}
	// The Engine may not have seen every round trip through (Write
	// returns before the loop looks again): let it settle on one
	// reading of Stats.
	deadline := time.Now().Add(step)
	for e.Stats().Open != int64(conns+1) {
		if time.Now().After(deadline) {
			return f, fmt.Errorf("the engine has %d connections open, want %d, %v after the last round trip", e.Stats().Open, conns+1, step)
		}
		time.Sleep(time.Millisecond)
	}
	held := idleMem(false)
	m1 := idleMem(true)
	n := float64(conns)
	f[idleHeap] = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n
	f[idleAlloc] = float64(m1.TotalAlloc-m0.TotalAlloc) / n
	f[idleAllocs] = float64(m1.Mallocs-m0.Mallocs) / n
	f[idleHeld] = float64(int64(held.HeapSys-held.HeapReleased)-int64(m0.HeapSys-m0.HeapReleased)) / n
	return f, nil
}

// idleConnecting is how many clients connect at a time, as the tool's idle
// client does (iomodel load -shapes idle): the engine accepts and echoes
// in bursts.
const idleConnecting = 64

// idleClients opens n raw client sockets to sa, workers at a time, each
// after one 64-byte round trip, and appends them to fds.
func idleClients(fds []int, sa unix.Sockaddr, n, workers int) ([]int, error) {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	tv := unix.NsecToTimeval(int64(step))
	for range workers {
		wg.Go(func() {
			msg, back := make([]byte, 64), make([]byte, 64)
			var mine []int
			var err error
			for next.Add(1) <= int64(n) && err == nil {
				mine, err = idleClient(mine, sa, msg, back, &tv)
			}
			mu.Lock()
			fds = append(fds, mine...)
			if err != nil && first == nil {
				first = fmt.Errorf("connection %d of %d: %w", next.Load(), n, err)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return fds, first
}

func idleClient(fds []int, sa unix.Sockaddr, msg, back []byte, tv *unix.Timeval) ([]int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fds, os.NewSyscallError("socket", err)
	}
	fds = append(fds, fd)
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, tv); err != nil {
		return fds, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, tv); err != nil {
		return fds, os.NewSyscallError("setsockopt", err)
	}
	if err := connect(fd, sa); err != nil {
		return fds, os.NewSyscallError("connect", err)
	}
	if _, err := unix.Write(fd, msg); err != nil {
		return fds, os.NewSyscallError("write", err)
	}
	for got := 0; got < len(back); {
		n, err := unix.Read(fd, back[got:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return fds, fmt.Errorf("reading the echo: %w", os.NewSyscallError("read", err))
		case n == 0:
			return fds, fmt.Errorf("reading the echo: the engine closed the connection after %d bytes", got)
		}
		got += n
	}
	return fds, nil
}

// idleMem reads the heap's statistics, with collect after two GCs: what a
// sync.Pool holds survives one.
func idleMem(collect bool) runtime.MemStats {
	if collect {
		runtime.GC()
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
