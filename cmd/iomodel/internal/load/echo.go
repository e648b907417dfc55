//go:build linux

package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/iomodel/iomodel/internal/benchkit/latency"
)

// EchoResult is what EchoClient measured, in the units of Wrk where they
// meet (it becomes a Wrk for the report).
type EchoResult struct {
	RoundTrips int64   `json:"round_trips"`
	Seconds    float64 `json:"seconds"`
	P50        int64   `json:"p50_ns"`
	P75        int64   `json:"p75_ns"`
	P90        int64   `json:"p90_ns"`
	P99        int64   `json:"p99_ns"`
	P999       int64   `json:"p999_ns"`
	Max        int64   `json:"max_ns"`
	// Fewest, Median and Most are the round trips of the slowest-served,
	// the median and the best-served connection.
	Fewest int64 `json:"fewest"`
	Median int64 `json:"median"`
	Most   int64 `json:"most"`
	// ConnectErrors and IOErrors count connections that could not connect,
	// and those that failed after (each stops at its first error).
	ConnectErrors int64  `json:"connect_errors"`
	IOErrors      int64  `json:"io_errors"`
	FirstError    string `json:"first_error,omitempty"`
}

// EchoClient is the echo shape's load generator, written on package net
// because no TCP load generator is packaged in Debian (tcpkali is not): it
// opens conns connections to addr, then each sends size bytes and reads
// them back, in a closed loop, for d, timing every round trip. timed, if
// not nil, is called when every connection is open, as the timed part
// starts.
func EchoClient(ctx context.Context, addr string, conns int, d time.Duration, size int, timed func()) EchoResult {
	var (
		res   EchoResult
		errs  errCount
		wg    sync.WaitGroup
		hists = make([]latency.Hist, conns)
		done  = make([]int64, conns)
	)
	fail := errs.add
	// Connect every connection first, so that the timed part is the round
	// trips alone.
	cs := connectAll(ctx, addr, conns, &errs, nil)
	if timed != nil {
		timed()
	}
	start := time.Now()
	end := start.Add(d)
	for i, c := range cs {
		if c == nil {
			continue
		}
		wg.Go(func() {
			defer c.Close()
			c.SetDeadline(end.Add(2 * time.Second))
			msg, buf := make([]byte, size), make([]byte, size)
			h := &hists[i]
			n := int64(0)
			for t0 := time.Now(); t0.Before(end); {
				if _, err := c.Write(msg); err != nil {
					fail(false, err)
					break
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					if !errors.Is(err, io.EOF) || time.Now().Before(end) {
						fail(false, err)
					}
					break
				}
				t1 := time.Now()
				h.Record(t1.Sub(t0))
				t0 = t1
				n++
			}
			done[i] = n
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.ConnectErrors, res.IOErrors, res.FirstError = errs.counts()
	var all latency.Hist
	for i := range hists {
		all.Merge(&hists[i])
	}
	res.RoundTrips = int64(all.Count())
	q := func(p float64) int64 { return int64(all.Quantile(p)) }
	res.P50, res.P75, res.P90, res.P99, res.P999, res.Max = q(0.50), q(0.75), q(0.90), q(0.99), q(0.999), int64(all.Max())
	var live []int64
	for i, c := range cs {
		if c != nil {
			live = append(live, done[i])
		}
	}
	if len(live) > 0 {
		slices.Sort(live)
		res.Fewest, res.Median, res.Most = live[0], live[len(live)/2], live[len(live)-1]
	}
	return res
}

// Wrk turns r into the figures a wrk run reports.
func (r EchoResult) Wrk() (Wrk, error) {
	if r.RoundTrips == 0 {
		return Wrk{}, fmt.Errorf("no round trip completed (%d connect errors, %d I/O errors: %s)", r.ConnectErrors, r.IOErrors, r.FirstError)
	}
	ns := func(v int64) time.Duration { return time.Duration(v) }
	return Wrk{
		Requests: r.RoundTrips, Duration: r.Seconds, ReqPerS: float64(r.RoundTrips) / r.Seconds,
		P50: ns(r.P50), P75: ns(r.P75), P90: ns(r.P90), P99: ns(r.P99), P999: ns(r.P999), Max: ns(r.Max),
		Connect: r.ConnectErrors, Read: r.IOErrors,
	}, nil
}

// IdleResult is what IdleClient opened.
type IdleResult struct {
	Open          int    `json:"open"`
	ConnectErrors int64  `json:"connect_errors"`
	IOErrors      int64  `json:"io_errors"`
	FirstError    string `json:"first_error,omitempty"`
}

// IdleClient opens conns connections to the echo server at addr, makes
// one round trip of size bytes on each, so that the server has accepted
// and served every one, and returns them open, for the caller to hold idle
// and close.
func IdleClient(ctx context.Context, addr string, conns, size int) ([]net.Conn, IdleResult) {
	var errs errCount
	cs := connectAll(ctx, addr, conns, &errs, func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := make([]byte, size)
		_, err := c.Write(msg)
		if err == nil {
			_, err = io.ReadFull(c, msg)
		}
		c.SetDeadline(time.Time{})
		return err
	})
	open := slices.DeleteFunc(cs, func(c net.Conn) bool { return c == nil })
	var res IdleResult
	res.Open = len(open)
	res.ConnectErrors, res.IOErrors, res.FirstError = errs.counts()
	return open, res
}

// errCount counts a client's failures: connects, and connections that
// failed after; it keeps the first error's text.
type errCount struct {
	mu          sync.Mutex
	connect, io int64
	first       string
}

func (e *errCount) add(connect bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if connect {
		e.connect++
	} else {
		e.io++
	}
	if e.first == "" {
		e.first = err.Error()
	}
}

func (e *errCount) counts() (connect, io int64, first string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.connect, e.io, e.first
}

// connectAll opens conns connections to addr, at most 64 connects at a
// time (a burst would overflow the accept queue), and runs setup, if not
// nil, on each; a connection that fails either is counted in errs, closed
// and left nil.
func connectAll(ctx context.Context, addr string, conns int, errs *errCount, setup func(net.Conn) error) []net.Conn {
	cs := make([]net.Conn, conns)
	dialer := net.Dialer{Timeout: 5 * time.Second}
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := dialer.DialContext(ctx, "tcp", addr)
			if err != nil {
				errs.add(true, err)
				return
			}
			if setup != nil {
				if err := setup(c); err != nil {
					errs.add(false, err)
					c.Close()
					return
				}
			}
			cs[i] = c
		})
	}
	wg.Wait()
	return cs
}
