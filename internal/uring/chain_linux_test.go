package uring

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvChain is n RECVMSGs on fd, one buffer of 16 bytes each, the first
// waiting and the rest with MSG_DONTWAIT: ReadBatch's chain.
type recvChain struct {
	reqs []Req
	qs   []*Req
	bufs [][]byte
	hdrs []*unix.Msghdr
}

func newRecvChain(fd, n int) *recvChain {
	c := &recvChain{reqs: make([]Req, n), qs: make([]*Req, n), bufs: make([][]byte, n), hdrs: make([]*unix.Msghdr, n)}
	for i := range c.reqs {
		c.bufs[i] = make([]byte, 16)
		c.hdrs[i], _ = msghdr(c.bufs[i], nil, nil, 0)
		flags := 0
		if i > 0 {
			flags = unix.MSG_DONTWAIT
		}
		c.reqs[i].PrepRecvMsg(fd, unsafe.Pointer(c.hdrs[i]), flags)
		c.qs[i] = &c.reqs[i]
	}
	return c
}

// results waits for every request of the chain and returns their results.
func (c *recvChain) results(t *testing.T) []int32 {
	t.Helper()
	res := make([]int32, len(c.qs))
	for i, q := range c.qs {
		res[i], _ = wait(t, q)
	}
	return res
}

func dgram(t *testing.T, fd int, p string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(p)); err != nil {
		t.Fatal(err)
	}
}

// TestChainInOrder: four datagrams queued, a chain of four RECVMSGs takes
// them in order, one each.
func TestChainInOrder(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_RECVMSG)
	a, b := socketpair(t, unix.SOCK_DGRAM)
	for i := range 4 {
		dgram(t, b, fmt.Sprint("datagram ", i))
	}
	c := newRecvChain(a, 4)
	if err := r.SubmitChain(c.qs); err != nil {
		t.Fatal(err)
	}
	for i, res := range c.results(t) {
		want := fmt.Sprint("datagram ", i)
		if got := string(c.bufs[i][:max(res, 0)]); got != want {
			t.Fatalf("request %d of the chain: res %d, %q; want %q", i, res, got, want)
		}
	}
}

// TestChainBreaksAtEAGAIN: the chain's head waits for the one datagram
// sent; the second RECVMSG finds nothing (-EAGAIN, MSG_DONTWAIT), which
// fails the link: the kernel completes the rest with -ECANCELED.
func TestChainBreaksAtEAGAIN(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_RECVMSG)
	a, b := socketpair(t, unix.SOCK_DGRAM)
	c := newRecvChain(a, 4)
	if err := r.SubmitChain(c.qs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	for i, q := range c.qs {
		if q.Completed() {
			res, _ := q.Result()
			t.Fatalf("request %d of the chain completed (res %d) before anything was sent: the head must wait and the rest wait for it", i, res)
		}
	}
	dgram(t, b, "only one")
	res := c.results(t)
	want := []int32{int32(len("only one")), -int32(unix.EAGAIN), -int32(unix.ECANCELED), -int32(unix.ECANCELED)}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Fatalf("chain results %v, want %v", res, want)
	}
}

// TestCancelChain: a chain whose head waits is cancelled in the kernel
// (CancelChain) and one still in the backlog (Config.MaxInFlight is reached) by
// Cancel of its last request and by CancelFD: every request completes,
// with -ECANCELED.
func TestCancelChain(t *testing.T) {
	r := newRing(t, Config{Entries: 16, CQEntries: 32, MaxInFlight: 27})
	requireOp(t, r, IORING_OP_RECVMSG)
	a, _ := socketpair(t, unix.SOCK_DGRAM)
	check := func(what string, c *recvChain) {
		t.Helper()
		for i, res := range c.results(t) {
			if res != -int32(unix.ECANCELED) {
				t.Fatalf("%s: request %d: res %d, want -ECANCELED", what, i, res)
			}
		}
	}
	for range 20 {
		c := newRecvChain(a, 4)
		if err := r.SubmitChain(c.qs); err != nil {
			t.Fatal(err)
		}
		r.CancelChain(c.qs)
		check("in the kernel", c)
	}

	f, _ := socketpair(t, unix.SOCK_STREAM)
	busy := fillBudget(t, r, f)
	c := newRecvChain(a, 4)
	if err := r.SubmitChain(c.qs); err != nil {
		t.Fatal(err)
	}
	r.Cancel(c.qs[3])
	check("queued, Cancel of its last request", c)
	c = newRecvChain(a, 4)
	if err := r.SubmitChain(c.qs); err != nil {
		t.Fatal(err)
	}
	r.CancelFD(a, nil)
	check("queued, CancelFD", c)
	r.CancelFD(f, nil)
	for i := range busy[4:] {
		wait(t, &busy[4+i])
	}
}

// TestBacklogNeverSplitsChain: chains whose head waits on an empty socket
// and whose tail is NOPs, among lone NOPs that fill the SQ and the CQ
// bound on CQEs in flight at every offset. A NOP of a chain completes only after its head:
// one that completes while its head waits was started apart from it, a
// chain split between two enters (or started in part).
func TestBacklogNeverSplitsChain(t *testing.T) {
	r := newRing(t, Config{Entries: 16, CQEntries: 64, MaxInFlight: 55})
	requireOp(t, r, IORING_OP_RECV)
	if r.MaxChain() != 4 {
		t.Fatalf("MaxChain %d on a 16-entry SQ, want 4", r.MaxChain())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		const chains = 8 // 32 CQEs: within the bound, never within one SQ
		heads := make([]int, chains)
		reqs := make([][]Req, chains)
		var lone []*Req
		for i := range chains {
			heads[i], _ = socketpair(t, unix.SOCK_STREAM)
			nops := make([]Req, rng.IntN(12))
			for j := range nops {
				nops[j].PrepNop()
				if err := r.Submit(&nops[j]); err != nil {
					t.Fatal(err)
				}
			}
			for j := range nops {
				lone = append(lone, &nops[j])
			}
			reqs[i] = make([]Req, 4)
			qs := make([]*Req, 4)
			for j := range qs {
				qs[j] = &reqs[i][j]
				if j == 0 {
					qs[j].PrepRecv(heads[i], make([]byte, 1), 0)
				} else {
					qs[j].PrepNop()
				}
			}
			if err := r.SubmitChain(qs); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range lone {
			wait(t, q)
		}
		time.Sleep(time.Millisecond)
		for i := range reqs {
			for j := range reqs[i] {
				if reqs[i][j].Completed() {
					t.Fatalf("round %d: request %d of chain %d completed while its head waits: the chain was split", round, j, i)
				}
			}
		}
		for i := range reqs {
			r.CancelFD(heads[i], nil)
			for j := range reqs[i] {
				if res, _ := wait(t, &reqs[i][j]); res != -int32(unix.ECANCELED) {
					t.Fatalf("round %d: chain %d, request %d: res %d after its head's cancel, want -ECANCELED", round, i, j, res)
				}
			}
		}
	}
	if s := r.Stats(); s.MaxInFlight > s.CQEntries {
		t.Fatalf("%d CQEs in flight, CQ has %d", s.MaxInFlight, s.CQEntries)
	}
}

// TestChainWaitsWhole: a chain that does not fit the bound on CQEs in
// flight (Config.MaxInFlight) waits in
// the backlog whole, however much room the requests before it leave, and
// starts whole once there is room for all of it.
func TestChainWaitsWhole(t *testing.T) {
	r := newRing(t, Config{Entries: 16, CQEntries: 32, MaxInFlight: 27})
	a, b := socketpair(t, unix.SOCK_STREAM)
	f, _ := socketpair(t, unix.SOCK_STREAM)
	busy := fillBudget(t, r, f) // exactly the bound, with the eventfd read
	var reqs [4]Req
	qs := make([]*Req, len(reqs))
	for i := range qs {
		qs[i] = &reqs[i]
		if i == 0 {
			qs[i].PrepRecv(a, make([]byte, 1), 0)
		} else {
			qs[i].PrepNop()
		}
	}
	if err := r.SubmitChain(qs); err != nil {
		t.Fatal(err)
	}
	// Free the bound one request at a time: with room for 1, 2 and 3
	// of its 4, no part of the chain may start.
	for i := range 3 {
		r.Cancel(&busy[i])
		wait(t, &busy[i])
		time.Sleep(time.Millisecond)
		for j := range reqs {
			if reqs[j].Completed() {
				t.Fatalf("with room for %d: request %d of the chain completed", i+1, j)
			}
		}
	}
	r.Cancel(&busy[3])
	wait(t, &busy[3])
	dgram(t, b, "x")
	for j := range reqs {
		if res, _ := wait(t, &reqs[j]); j == 0 && res != 1 || j > 0 && res != 0 {
			t.Fatalf("request %d of the chain: res %d", j, res)
		}
	}
	r.CancelFD(f, nil)
	for i := range busy[4:] {
		wait(t, &busy[4+i])
	}
}

// TestSubmitChainRefuses: a chain longer than MaxChain, or one with a
// linked timeout, is refused before anything is submitted; on a released
// ring every request is let go.
func TestSubmitChainRefuses(t *testing.T) {
	r := newRing(t, Config{Entries: 8})
	qs := make([]*Req, r.MaxChain()+1)
	for i := range qs {
		qs[i] = new(Req)
		qs[i].PrepNop()
	}
	if err := r.SubmitChain(qs); !errors.Is(err, ErrChainTooLong) {
		t.Fatalf("chain of %d on MaxChain %d: %v, want ErrChainTooLong", len(qs), r.MaxChain(), err)
	}
	qs = qs[:2]
	qs[1].SetTimeout(time.Second)
	if err := r.SubmitChain(qs); !errors.Is(err, ErrChainTimeout) {
		t.Fatalf("chain with a timeout: %v, want ErrChainTimeout", err)
	}
	if s := r.Stats(); s.Active != 0 {
		t.Fatalf("%d requests active after refused chains", s.Active)
	}
	qs[1].PrepNop()
	r2, err := New(Config{Entries: 8})
	if err != nil {
		t.Fatal(err)
	}
	r2.Release()
	if err := r2.SubmitChain(qs); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("SubmitChain on a released ring: %v, want ErrRingClosed", err)
	}
}

// TestChainCompletesTogether: the kernel runs a chain's requests one after
// the other, over several io_uring_enter calls, but its caller is told once,
// when the last has completed: woken by its first token, it finds every
// request of the chain completed.
func TestChainCompletesTogether(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_RECVMSG)
	a, b := socketpair(t, unix.SOCK_DGRAM)
	partial := 0
	for round := range 50 {
		for i := range 8 {
			dgram(t, b, fmt.Sprint("datagram ", i))
		}
		c := newRecvChain(a, 16)
		token := make(chan struct{}, 1)
		for _, q := range c.qs {
			q.SetDone(token)
		}
		if err := r.SubmitChain(c.qs); err != nil {
			t.Fatal(err)
		}
		select {
		case <-token:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: no completion in 10 s", round)
		}
		done := 0
		for _, q := range c.qs {
			if q.Completed() {
				done++
			}
		}
		if done < len(c.qs) {
			partial++
		}
		for _, q := range c.qs {
			for !q.Completed() {
				<-token
			}
		}
		for i, q := range c.qs {
			if res, _ := q.Result(); i < 8 && res != int32(len("datagram 0")) || i == 8 && res != -int32(unix.EAGAIN) || i > 8 && res != -int32(unix.ECANCELED) {
				t.Fatalf("round %d: request %d: res %d", round, i, res)
			}
		}
	}
	if partial > 0 {
		t.Fatalf("in %d of 50 rounds the first wake-up found the chain partly completed", partial)
	}
}
