package stormtest

import (
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load is how big a storm Resets makes.
type Load struct {
	Healthy int           // clients making 64-byte round trips, each on one connection
	Storm   int           // clients connecting and resetting (SO_LINGER 0) in a loop
	Turn    time.Duration // one turn on one server
	Turns   int           // turns on each server, interleaved with the other's
}

// DefaultLoad runs in about two seconds.
var DefaultLoad = Load{Healthy: 16, Storm: 8, Turn: 250 * time.Millisecond, Turns: 4}

// Result is what the healthy clients of one server completed during the
// storm, over all its turns.
type Result struct {
	RoundTrips int64   // in all
	Fewest     int64   // by the healthy client that completed the fewest
	P99        float64 // the round trips' 99th percentile, in milliseconds
	Resets     int64   // connections the storm opened and reset
}

// Resets runs the storm against an echo server on the Listener listen
// makes and against package net's, in interleaved turns, and returns what
// the healthy clients of each completed. Clients are package net's.
func Resets(t *testing.T, listen func() (net.Listener, error), load Load) (ours, control Result) {
	t.Helper()
	l, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	servers := []*server{serve(t, l), serve(t, nl)}
	for _, s := range servers {
		s.dialHealthy(t, load.Healthy)
	}
	for turn := range 2 * load.Turns {
		s := servers[(turn+turn/2)%2] // ours, net, net, ours, ...
		s.turn(t, load)
	}
	return servers[0].result(), servers[1].result()
}

type server struct {
	l       net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	open    map[net.Conn]bool
	healthy []net.Conn
	counts  []int64
	rtts    []time.Duration
	resets  int64
}

func serve(t *testing.T, l net.Listener) *server {
	s := &server{l: l, open: map[net.Conn]bool{}}
	t.Cleanup(s.close)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				// ECONNABORTED and the like: a storm's connection
				// reset before it was accepted.
				continue
			}
			s.mu.Lock()
			s.open[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				io.Copy(c, c)
				c.Close()
				s.mu.Lock()
				delete(s.open, c)
				s.mu.Unlock()
			}()
		}
	}()
	return s
}

func (s *server) close() {
	s.l.Close()
	for _, c := range s.healthy {
		c.Close()
	}
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *server) dialHealthy(t *testing.T, n int) {
	t.Helper()
	for range n {
		c, err := net.DialTimeout("tcp", s.l.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatalf("dialing a healthy client: %v", err)
		}
		s.healthy = append(s.healthy, c)
	}
	s.counts = make([]int64, n)
}

// turn runs the healthy clients and the storm against s for load.Turn.
func (s *server) turn(t *testing.T, load Load) {
	t.Helper()
	var wg sync.WaitGroup
	var failed atomic.Value
	stop := time.Now().Add(load.Turn)
	addr := s.l.Addr().String()
	var resets atomic.Int64
	for range load.Storm {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					continue // the backlog overflowed: the storm goes on
				}
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
				resets.Add(1)
			}
		}()
	}
	rtts := make([][]time.Duration, len(s.healthy))
	for i, c := range s.healthy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, buf := make([]byte, 64), make([]byte, 64)
			for time.Now().Before(stop) {
				t0 := time.Now()
				c.SetDeadline(t0.Add(10 * time.Second))
				_, err := c.Write(msg)
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				if err != nil {
					failed.Store(err)
					return
				}
				rtts[i] = append(rtts[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("a healthy client's round trip during the storm: %v", err)
	}
	for i, r := range rtts {
		s.counts[i] += int64(len(r))
		s.rtts = append(s.rtts, r...)
	}
	s.resets += resets.Load()
}

func (s *server) result() Result {
	r := Result{Fewest: slices.Min(s.counts), Resets: s.resets}
	for _, n := range s.counts {
		r.RoundTrips += n
	}
	if len(s.rtts) > 0 {
		slices.Sort(s.rtts)
		r.P99 = float64(s.rtts[(len(s.rtts)-1)*99/100]) / float64(time.Millisecond)
	}
	return r
}

// Check fails t if ours starved the healthy clients where control did
// not: fewer than an eighth of control's round trips in all, or a client
// that completed fewer than an eighth of control's fewest. It logs both
// Results. The bound is loose on purpose: on a shared 2-CPU machine, with
// other packages' tests running beside it, a model that serves as well as
// net's measured between a quarter of net's and more than net's, and a
// starved client completes a few round trips or none.
func Check(t *testing.T, ours, control Result) {
	t.Helper()
	t.Logf("healthy round trips during the storm: %d in all, fewest %d per client, p99 %.2f ms, %d resets (package net's: %d, %d, %.2f ms, %d)",
		ours.RoundTrips, ours.Fewest, ours.P99, ours.Resets, control.RoundTrips, control.Fewest, control.P99, control.Resets)
	if ours.RoundTrips*8 < control.RoundTrips {
		t.Errorf("the healthy clients completed %d round trips during the storm; want at least an eighth of package net's %d", ours.RoundTrips, control.RoundTrips)
	}
	if ours.Fewest*8 < control.Fewest {
		t.Errorf("a healthy client completed only %d round trips during the storm; want at least an eighth of the fewest on package net's, %d", ours.Fewest, control.Fewest)
	}
}

// Run is Resets with DefaultLoad, then Check.
func Run(t *testing.T, listen func() (net.Listener, error)) {
	t.Helper()
	ours, control := Resets(t, listen, DefaultLoad)
	Check(t, ours, control)
}
