package async

import (
	"net"
	"testing"
	"time"
)

// TestAcceptBacklog: connections already waiting in the backlog are
// accepted on the caller's thread, with no operation on the ring, as
// package net accepts them; with WithRingOnly each Accept is an
// IORING_OP_ACCEPT. Before, every Accept went to the ring, and 5000
// clients connecting at once waited seconds to be accepted.
func TestAcceptBacklog(t *testing.T) {
	const n = 16
	for _, tc := range []struct {
		name           string
		opts           []Option
		minOps, maxOps uint64
	}{
		{"speculative", nil, 0, 0},
		{"ring-only", []Option{WithRingOnly()}, n, n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ownRing(t, 0)
			l, err := Listen("tcp", "127.0.0.1:0", append(tc.opts, WithRing(r))...)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var clients []net.Conn
			defer func() {
				for _, c := range clients {
					c.Close()
				}
			}()
			for range n {
				// Dial returns once the handshake is done: the
				// connection is in the backlog.
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			ops0 := r.Stats().Ops
			for i := range n {
				c, err := l.Accept()
				if err != nil {
					t.Fatalf("Accept %d: %v", i, err)
				}
				if c.RemoteAddr() == nil {
					t.Errorf("Accept %d: no remote address", i)
				}
				c.Close()
			}
			if ops := r.Stats().Ops - ops0; ops < tc.minOps || ops > tc.maxOps {
				t.Errorf("%d ring operations for %d Accepts of waiting connections, want %d to %d", ops, n, tc.minOps, tc.maxOps)
			}
			// With nothing waiting, Accept still waits (on the ring) and
			// a deadline still ends it.
			l.SetDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := l.Accept(); !isTimeout(err) {
				t.Errorf("Accept with nothing waiting and a deadline = %v, want a timeout", err)
			}
			l.SetDeadline(time.Time{})
			done := make(chan error, 1)
			go func() {
				c, err := l.Accept()
				if err == nil {
					c.Close()
				}
				done <- err
			}()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := <-done; err != nil {
				t.Errorf("Accept of a connection that came while it waited: %v", err)
			}
		})
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
