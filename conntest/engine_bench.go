package conntest

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// BenchEngineEcho measures an echo Engine made by ne: conns clients of
// package net, in this process, each in a loop of 64-byte round trips,
// b.N round trips in all. It reports msgs/s and the round trip's p50 and
// p99 beside ns/op. The clients share the CPUs with the engine, so for the
// server's own cost run the client in another process (see
// multiplex/README.md).
func BenchEngineEcho(b *testing.B, ne NewEngine, conns int) {
	e, err := ne(newHandler().echo(), iomodel.EngineConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), step)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
		<-served
	}()
	echoClients(b, ln.Addr().String(), conns)
}

// BenchNetEcho is BenchEngineEcho's control: the same clients against
// package net's goroutine-per-connection echo server.
func BenchNetEcho(b *testing.B, conns int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var servers sync.WaitGroup
	defer servers.Wait()
	defer ln.Close()
	servers.Add(1)
	go func() {
		defer servers.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			servers.Add(1)
			go func() {
				defer servers.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	echoClients(b, ln.Addr().String(), conns)
}

// echoClients runs b.N 64-byte round trips over conns connections to addr
// and reports msgs/s, p50 and p99.
func echoClients(b *testing.B, addr string, conns int) {
	var err error
	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.DialTimeout("tcp", addr, step); err != nil {
			b.Fatal(err)
		}
		defer cs[i].Close()
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	lat := make([][]time.Duration, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, buf := make([]byte, 64), make([]byte, 64)
			for left.Add(-1) >= 0 {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/el.Seconds(), "msgs/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}
