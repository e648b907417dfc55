package conntest

import (
	"sync/atomic"
	"testing"
	"time"
)

func deadlines(t *testing.T, c any) deadliner {
	t.Helper()
	d, ok := c.(deadliner)
	if !ok {
		t.Skipf("%T has no SetReadDeadline/SetWriteDeadline", c)
	}
	return d
}

// testDeadlinePast: a deadline in the past fails Recv at once, even with
// data waiting, and loses nothing: once cleared, the data is there.
func testDeadlinePast(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	d := deadlines(t, p.B)
	if _, err := p.A.Send([]byte("waiting")); err != nil {
		t.Fatal(err)
	}
	if err := d.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	for i := 0; i < 2; i++ {
		n, err := p.B.Recv(make([]byte, 16))
		if n != 0 {
			t.Errorf("Recv past its deadline read %d bytes", n)
		}
		wantTimeout(t, "Recv with a past deadline", err)
	}
	if err := d.SetReadDeadline(time.Time{}); err != nil {
		t.Fatalf("clearing the deadline: %v", err)
	}
	if err := recvExact(p.B, []byte("waiting")); err != nil {
		t.Errorf("after clearing the deadline: %v", err)
	}
}

func testDeadlineFuture(t *testing.T, mp MakePipe, tr Traits) {
	const wait = 50 * time.Millisecond
	p := open(t, mp)
	d := deadlines(t, p.B)
	start := time.Now()
	if err := d.SetReadDeadline(start.Add(wait)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	_, err := p.B.Recv(make([]byte, 16))
	elapsed := time.Since(start)
	wantTimeout(t, "Recv with nothing to read", err)
	if elapsed < wait {
		t.Errorf("Recv timed out after %v, before its deadline (%v)", elapsed, wait)
	}
}

// testDeadlineMoved: a deadline brought forward while Recv waits applies
// to that Recv.
func testDeadlineMoved(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	d := deadlines(t, p.B)
	if err := d.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	before := callsSoFar(p.B, true)
	errc := make(chan error, 1)
	go func() {
		_, err := p.B.Recv(make([]byte, 16))
		errc <- err
	}()
	awaitPending(p.B, true, before)
	if err := d.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatalf("moving the deadline: %v", err)
	}
	select {
	case err := <-errc:
		wantTimeout(t, "pending Recv after its deadline was brought forward", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a deadline brought forward did not reach the pending Recv within 10s")
	}
}

// testDeadlineCleared: clearing an expired deadline makes the Conn usable
// again, for both directions.
func testDeadlineCleared(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	da, db := deadlines(t, p.A), deadlines(t, p.B)
	past := time.Now().Add(-time.Second)
	if err := da.SetDeadline(past); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	if err := db.SetDeadline(past); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	_, err := p.A.Send([]byte("x"))
	wantTimeout(t, "Send with a past deadline", err)
	da.SetDeadline(time.Time{})
	db.SetDeadline(time.Time{})
	if _, err := p.A.Send([]byte("again")); err != nil {
		t.Fatalf("Send after clearing: %v", err)
	}
	if err := recvExact(p.B, []byte("again")); err != nil {
		t.Errorf("Recv after clearing: %v", err)
	}
}

// testWriteDeadline: a Send blocked on a full buffer fails when its write
// deadline passes, and says how much it wrote.
func testWriteDeadline(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	d := deadlines(t, p.A)
	if err := d.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatalf("SetWriteDeadline: %v", err)
	}
	var sent atomic.Int64
	err := stallSend(p.A, tr, &sent)
	wantTimeout(t, "Send into a full buffer", err)
	if sent.Load() == 0 {
		t.Errorf("nothing was sent before the deadline; the buffer should have taken some")
	}
}

// testDeadlineAfterClose: setting a deadline on a closed Conn fails with an
// error wrapping net.ErrClosed, as net.Conn's does, in every direction.
func testDeadlineAfterClose(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	d := deadlines(t, p.A)
	if err := p.A.Close(); err != nil {
		t.Fatal(err)
	}
	for name, set := range map[string]func(time.Time) error{
		"SetDeadline": d.SetDeadline, "SetReadDeadline": d.SetReadDeadline, "SetWriteDeadline": d.SetWriteDeadline,
	} {
		wantClosed(t, name+" after Close", set(time.Now().Add(time.Second)))
	}
}

// testDeadlineUnderSignals: a deadline still ends a pending Recv while
// signals keep arriving at every thread of the process (a signal handler
// interrupts a system call with EINTR; a loop that restarts it with its
// whole timeout would never end). SIGUSR1 is caught with signal.Notify, as
// a program that uses it would, and sent every 20 ms.
func testDeadlineUnderSignals(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	d := deadlines(t, p.B)
	stop, err := signalStorm(20 * time.Millisecond)
	if err != nil {
		t.Skipf("cannot send signals to this process's threads: %v", err)
	}
	defer stop()
	const wait = 300 * time.Millisecond
	deadline := time.Now().Add(wait)
	if err := d.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.B.Recv(make([]byte, 8))
		done <- err
	}()
	select {
	case err := <-done:
		wantTimeout(t, "Recv under a signal storm", err)
		if early := time.Until(deadline); early > 0 {
			t.Errorf("Recv returned %v before its deadline", early)
		}
	case <-time.After(10 * wait):
		t.Errorf("Recv with a %v deadline still pending after %v of signals every 20 ms", wait, 10*wait)
		p.B.Close()
		<-done
	}
}
