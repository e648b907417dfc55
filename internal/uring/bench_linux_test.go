package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkNop is the ring's round trip: hand a NOP to the owner, wait for
// its completion.
func BenchmarkNop(b *testing.B) {
	r := newRing(b, Config{})
	var q Req
	b.ReportAllocs()
	for range b.N {
		q.PrepNop()
		if err := r.Submit(&q); err != nil {
			b.Fatal(err)
		}
		if !r.Spin(&q) {
			for !q.Completed() {
				<-q.Done()
			}
		}
	}
	s := r.Stats()
	b.ReportMetric(float64(s.Enters)/float64(s.Ops), "enters/op")
	b.ReportMetric(float64(s.Wakeups)/float64(s.Ops), "wakeups/op")
}

func waitReq(r *Ring, q *Req) {
	if !r.Spin(q) {
		for !q.Completed() {
			<-q.Done()
		}
	}
}

// BenchmarkPingPong is a 64-byte round trip over a socketpair with RECV and
// SEND requests only.
func BenchmarkPingPong(b *testing.B) {
	r := newRing(b, Config{})
	x, y := socketpair(b, unix.SOCK_STREAM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var q Req
		buf := make([]byte, 64)
		for {
			q.PrepRecv(y, buf, 0)
			r.Submit(&q)
			waitReq(r, &q)
			if res, _ := q.Result(); res <= 0 {
				return
			}
			q.PrepSend(y, buf, unix.MSG_NOSIGNAL)
			r.Submit(&q)
			waitReq(r, &q)
		}
	}()
	var q Req
	buf := make([]byte, 64)
	b.ResetTimer()
	for range b.N {
		q.PrepSend(x, buf, unix.MSG_NOSIGNAL)
		r.Submit(&q)
		waitReq(r, &q)
		q.PrepRecv(x, buf, 0)
		r.Submit(&q)
		waitReq(r, &q)
	}
	b.StopTimer()
	unix.Shutdown(x, unix.SHUT_WR)
	<-done
	s := r.Stats()
	b.ReportMetric(float64(s.Enters)/float64(s.Ops), "enters/op")
	b.ReportMetric(float64(s.Wakeups)/float64(s.Ops), "wakeups/op")
}
