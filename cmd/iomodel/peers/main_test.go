package main

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPeers: each library echoes, and serves RESP (PING, SET, GET) with a
// partial command kept across reads.
func TestPeers(t *testing.T) {
	for _, lib := range []string{"gnet", "nbio"} {
		for _, proto := range []string{"echo", "resp"} {
			t.Run(lib+"/"+proto, func(t *testing.T) {
				addr := freeAddr(t)
				ctx, cancel := context.WithCancel(context.Background())
				var store *resp.Store
				if proto == "resp" {
					store = resp.NewStore()
				}
				ready, done := make(chan struct{}), make(chan error, 1)
				serve := serveGnet
				if lib == "nbio" {
					serve = serveNbio
				}
				go func() { done <- serve(ctx, addr, 2, store, func() { close(ready) }) }()
				select {
				case <-ready:
				case err := <-done:
					t.Fatalf("did not start: %v", err)
				case <-time.After(10 * time.Second):
					t.Fatal("not ready after 10 s")
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				in, want := "hello, loop", "hello, loop"
				if proto == "resp" {
					in = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
					want = "+PONG\r\n+OK\r\n$1\r\nv\r\n"
				}
				for _, part := range []string{in[:9], in[9:]} {
					io.WriteString(c, part)
					time.Sleep(5 * time.Millisecond) // not synchronization: lets the parts arrive apart, most of the time
				}
				got := make([]byte, len(want))
				if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
					t.Errorf("got %q, %v; want %q", got, err, want)
				}
				c.Close()
				cancel()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("stopped with %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Error("did not stop within 10 s")
				}
			})
		}
	}
}
