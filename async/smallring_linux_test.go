package async

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/uring"
)

// tinyRings are the sizes the close tests run on: NewRing(0) once made an
// 8-entry submission queue, NewRing(2) makes the smallest ring there is.
var tinyRings = []int{0, 2, 16}

// TestNewRingZeroIsDefault: NewRing(0) is the default ring's size, not the
// 8-entry submission queue that size/8 used to give it.
func TestNewRingZeroIsDefault(t *testing.T) {
	r := ownRing(t, 0)
	s := r.r.Stats()
	if s.CQEntries != DefaultRingSize || s.SQEntries != uring.DefaultEntries {
		t.Fatalf("NewRing(0): CQ %d, SQ %d entries; want %d and %d", s.CQEntries, s.SQEntries, DefaultRingSize, uring.DefaultEntries)
	}
	r2, err := NewRing(2)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got := r2.Stats().Size; got != 16 {
		t.Fatalf("NewRing(2): size %d, want 16", got)
	}
}

// waitAll fails the test, saying how many are left, if wg is not done in
// time: a hang becomes a failure with a message.
func waitAll(t *testing.T, wg *sync.WaitGroup, left func() int, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d %s still pending 20 s after Close", left(), what)
	}
}

// pendingRead waits until c's Recv has handed its request to the ring.
func pendingRead(c *Conn) {
	for c.fd.Stats().Read.Syscalls == 0 {
		runtime.Gosched()
	}
}

// TestCloseDialedWithPendingRecvs: many dialed Conns on a tiny ring, each
// with a Recv in the ring (in the kernel, or waiting in the ring's backlog
// for room in the CQ), closed one after the other. Every cancel must reach
// the kernel or find its request still queued, however little room the SQ
// and the CQ have: each Recv returns net.ErrClosed and each Close returns.
func TestCloseDialedWithPendingRecvs(t *testing.T) {
	requireRing(t)
	l, err := Listen("tcp", "127.0.0.1:0") // the peers, on the default ring
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, size := range tinyRings {
		t.Run(fmt.Sprint("NewRing(", size, ")"), func(t *testing.T) {
			r := ownRing(t, size)
			n := scale(100, 40)
			conns := make([]*Conn, n)
			for i := range conns {
				c, err := Dial("tcp", l.Addr().String(), WithRing(r))
				if err != nil {
					t.Fatal(err)
				}
				s, err := l.AcceptConn()
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				conns[i] = c
			}
			var pending sync.WaitGroup
			var mu sync.Mutex
			left := n
			errs := make(chan error, n)
			for _, c := range conns {
				pending.Go(func() {
					_, err := c.Recv(make([]byte, 1))
					errs <- err
					mu.Lock()
					left--
					mu.Unlock()
				})
				pendingRead(c)
			}
			closed := make(chan struct{})
			go func() {
				for _, c := range conns {
					c.Close()
				}
				close(closed)
			}()
			waitAll(t, &pending, func() int { mu.Lock(); defer mu.Unlock(); return left }, "Recvs")
			select {
			case <-closed:
			case <-time.After(20 * time.Second):
				t.Fatal("Close still running 20 s later")
			}
			for range n {
				if err := <-errs; !errors.Is(err, net.ErrClosed) {
					t.Fatalf("Recv pending at Close: %v", err)
				}
			}
		})
	}
}

// TestCloseAcceptedOnTinyRing: Conns accepted on a tiny ring, each with a
// goroutine in Recv that closes it when the client goes; meanwhile every
// client and then every server Conn is closed. Close ends in
// lifecycle.Destroy, which waits for the cancel by descriptor to be
// answered: it hung there when that cancel was lost.
func TestCloseAcceptedOnTinyRing(t *testing.T) {
	requireRing(t)
	for _, size := range tinyRings {
		t.Run(fmt.Sprint("NewRing(", size, ")"), func(t *testing.T) {
			r := ownRing(t, size)
			l, err := Listen("tcp", "127.0.0.1:0", WithRing(r))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			n := scale(64, 32)
			var clients, servers []*Conn
			for range n {
				c, err := Dial("tcp", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				s, err := l.AcceptConn()
				if err != nil {
					t.Fatal(err)
				}
				clients, servers = append(clients, c), append(servers, s)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			left := n
			for _, s := range servers {
				wg.Go(func() {
					s.Recv(make([]byte, 64)) // EOF or net.ErrClosed: either way Close next
					s.Close()
					mu.Lock()
					left--
					mu.Unlock()
				})
			}
			for _, c := range clients {
				c.Close()
			}
			for _, s := range servers {
				s.Close()
			}
			waitAll(t, &wg, func() int { mu.Lock(); defer mu.Unlock(); return left }, "server Conns")
		})
	}
}

// TestListenerCloseOnBusyTinyRing: an Accept pending on a tiny ring with
// more Recvs that never complete than its queues hold returns
// net.ErrClosed at Listener.Close.
func TestListenerCloseOnBusyTinyRing(t *testing.T) {
	requireRing(t)
	for _, size := range tinyRings {
		t.Run(fmt.Sprint("NewRing(", size, ")"), func(t *testing.T) {
			r := ownRing(t, size)
			for range scale(40, 20) { // more Recvs than the tiny CQ holds
				a, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
				go a.Recv(make([]byte, 1)) // ends at the test's cleanup Close
			}
			for range scale(20, 10) {
				l, err := Listen("tcp", "127.0.0.1:0", WithRing(r))
				if err != nil {
					t.Fatal(err)
				}
				errc := make(chan error, 1)
				go func() { _, err := l.AcceptConn(); errc <- err }()
				for l.fd.Stats().Read.Syscalls == 0 { // the ACCEPT is in the ring
					runtime.Gosched()
				}
				l.Close()
				wantClosed(t, errc, 20*time.Second, "Accept at Listener.Close")
			}
		})
	}
}

// TestDialCloseRace, under -race: on a tiny ring, goroutines dial, receive
// and close while others move read deadlines under pending Recvs, so that
// requests are cancelled while they wait in the ring's backlog for room in
// its 8-entry submission queue, completed there, and prepared again at
// once, while cancels by descriptor scan that backlog. Nothing may race,
// hang or lose a result.
func TestDialCloseRace(t *testing.T) {
	r := ownRing(t, 2)
	l, err := Listen("tcp", "127.0.0.1:0", WithRing(r))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Recvs that stay pending, beside the ones that come and go.
	for range 10 {
		a, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
		go a.Recv(make([]byte, 1)) // ends at the test's cleanup Close
		pendingRead(a)
	}
	go func() { // accept and hold, never send: the servers' ends close with the listener's test
		var held []*Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.AcceptConn()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	workers, rounds := 8, scale(40, 15)
	var wg sync.WaitGroup
	errc := make(chan error, 2*workers)
	for w := range workers {
		wg.Go(func() { // dial, Recv with a deadline that keeps moving, Close
			for i := range rounds {
				c, err := Dial("tcp", l.Addr().String(), WithRing(r))
				if err != nil {
					errc <- err
					return
				}
				got := make(chan error, 1)
				go func() { _, err := c.Recv(make([]byte, 1)); got <- err }()
				pendingRead(c)
				for j := range 3 + (w+i)%5 {
					// Each move cancels the pending request, often still
					// queued, and Recv prepares and submits it again.
					before := c.fd.Stats().Read.Syscalls
					c.SetReadDeadline(time.Now().Add(time.Duration(j+1) * time.Hour))
					for c.fd.Stats().Read.Syscalls == before {
						runtime.Gosched()
					}
				}
				c.Close()
				if err := <-got; !errors.Is(err, net.ErrClosed) {
					errc <- fmt.Errorf("Recv at Close: %w", err)
					return
				}
			}
		})
		wg.Go(func() { // a Recv that times out at once, again and again
			a, _ := pair(t, unix.SOCK_STREAM, WithRing(r))
			for range rounds {
				a.SetReadDeadline(time.Now().Add(time.Microsecond))
				if _, err := a.Recv(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
					errc <- fmt.Errorf("Recv with a deadline: %w", err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("dialing, receiving and closing still running after 60 s")
	}
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}
