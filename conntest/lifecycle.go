package conntest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func testCloseUnblocksRecv(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	before := callsSoFar(p.B, true)
	errc := make(chan error, 1)
	go func() {
		_, err := p.B.Recv(make([]byte, 16))
		errc <- err
	}()
	awaitPending(p.B, true, before)
	if err := p.B.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wantClosed(t, "pending Recv after Close", <-errc)
}

func testCloseUnblocksSend(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	var sent atomic.Int64
	errc := make(chan error, 1)
	go func() { errc <- stallSend(p.A, tr, &sent) }()
	awaitStall(&sent)
	if err := p.A.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wantClosed(t, fmt.Sprintf("Send blocked on a full buffer (after %d bytes), then Close", sent.Load()), <-errc)
}

func testDoubleClose(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	if err := p.A.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	wantClosed(t, "second Close", p.A.Close())
}

func testUseAfterClose(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	p.A.Close()
	p.B.Close()
	for _, c := range []struct {
		name string
		call func() (int, error)
	}{
		{"A.Send", func() (int, error) { return p.A.Send([]byte("x")) }},
		{"A.Send(nil)", func() (int, error) { return p.A.Send(nil) }},
		{"B.Recv", func() (int, error) { return p.B.Recv(make([]byte, 8)) }},
		{"B.Recv(empty)", func() (int, error) { return p.B.Recv(nil) }},
	} {
		n, err := c.call()
		if n != 0 {
			t.Errorf("%s after Close moved %d bytes", c.name, n)
		}
		wantClosed(t, c.name+" after Close", err)
	}
}

// testEOF: after the peer sends and closes, Recv returns what was sent and
// then io.EOF itself (not wrapped: io.Copy compares with ==), every time.
func testEOF(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	if _, err := p.A.Send([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	if err := p.A.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recvExact(p.B, []byte("last words")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		n, err := p.B.Recv(make([]byte, 8))
		if n != 0 || err != io.EOF {
			t.Errorf("Recv #%d after the peer closed = %d, %s; want 0, io.EOF", i+1, n, describe(err))
		}
	}
}

// testSendToClosedPeer: once the peer is gone, Send fails with EPIPE or
// ECONNRESET, and the process is still here (no SIGPIPE).
func testSendToClosedPeer(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	if err := p.B.Close(); err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 1024)
	var err error
	// TCP takes the first write after the peer closed and answers it with
	// a reset; the failure shows on a later one.
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = p.A.Send(msg)
	}
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Send to a closed peer: got %s, want EPIPE or ECONNRESET", describe(err))
	}
}

// testResetByPeer: a peer that closes with data it never read resets the
// connection (tcp(7), and unix(7) does the same), and Recv says ECONNRESET.
func testResetByPeer(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	if _, err := p.A.Send([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	// B closes without reading. Whether the data is already queued at B
	// (it is for AF_UNIX, which copies into the peer's queue in Send) or
	// lands after B is gone (TCP), the answer to A is a reset.
	if err := p.B.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := p.A.Recv(make([]byte, 8))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Recv after the peer closed with unread data: got %s, want ECONNRESET", describe(err))
	}
}

// testNoDescriptorLeft: making a pair, using it and closing it leaves the
// process with the descriptors it had (counted in /proc/self/fd). Pollers,
// dispatchers and rings that the pair started must have closed theirs too.
func testNoDescriptorLeft(t *testing.T, mp MakePipe, tr Traits) {
	before, err := openFDs()
	if err != nil {
		t.Skipf("cannot list /proc/self/fd: %v", err)
	}
	p, err := mp()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.A.Send([]byte("x")); err != nil {
		t.Error(err)
	}
	if err := recvExact(p.B, []byte("x")); err != nil {
		t.Error(err)
	}
	p.A.Close()
	p.B.Close()
	if p.Stop != nil {
		p.Stop()
	}
	// Threads that own descriptors (a poller, a ring) may finish closing
	// them just after the last Close returns; wait for them, boundedly.
	var added []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		after, _ := openFDs()
		added = addedFDs(before, after)
		if len(added) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(added) > 0 {
		t.Errorf("descriptors left open after both ends closed: %q", added)
	}
}

// openFDs lists the process's open descriptors with what they point to.
func openFDs() ([]string, error) {
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		target, err := os.Readlink("/proc/self/fd/" + n)
		if err != nil {
			continue // the descriptor used to read the directory
		}
		out = append(out, n+" -> "+target)
	}
	sort.Strings(out)
	return out, nil
}

// addedFDs returns the entries of after (openFDs' "n -> target") that are
// not in before. Only additions are a leak: a descriptor that another
// goroutine of the test binary closed meanwhile is not the code under
// test's doing.
func addedFDs(before, after []string) []string {
	was := make(map[string]bool, len(before))
	for _, d := range before {
		was[d] = true
	}
	var added []string
	for _, d := range after {
		if !was[d] {
			added = append(added, d)
		}
	}
	return added
}

// fdSnapshot is the process's open descriptors at one moment.
type fdSnapshot []string

// takeFDs lists the open descriptors, failing t if it cannot.
func takeFDs(t *testing.T) fdSnapshot {
	t.Helper()
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	return fds
}

// wantNoneAdded fails t if a descriptor is open now that was not open at
// the snapshot: what (the calls in between) leaked it.
func (s fdSnapshot) wantNoneAdded(t *testing.T, what string) {
	t.Helper()
	if added := addedFDs(s, takeFDs(t)); len(added) > 0 {
		t.Errorf("%s left descriptors open: %q", what, added)
	}
}

// testCloseWrite: after CloseWrite the peer reads io.EOF, and can still
// answer on the other half.
func testCloseWrite(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	cw, ok := p.A.(interface{ CloseWrite() error })
	if !ok {
		t.Skipf("%T has no CloseWrite", p.A)
	}
	if _, err := p.A.Send([]byte("request")); err != nil {
		t.Fatal(err)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	if err := recvExact(p.B, []byte("request")); err != nil {
		t.Fatal(err)
	}
	if n, err := p.B.Recv(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("Recv after the peer's CloseWrite = %d, %s; want 0, io.EOF", n, describe(err))
	}
	if _, err := p.B.Send([]byte("reply")); err != nil {
		t.Fatalf("answering a half-closed peer: %v", err)
	}
	if err := recvExact(p.A, []byte("reply")); err != nil {
		t.Errorf("Recv after CloseWrite: %v", err)
	}
}

// testCloseRead: after CloseRead (shutdown(2) SHUT_RD), Recv reads io.EOF,
// as net.TCPConn's does, and Send still works.
func testCloseRead(t *testing.T, mp MakePipe, tr Traits) {
	p := open(t, mp)
	cr, ok := p.B.(interface{ CloseRead() error })
	if !ok {
		t.Skipf("%T has no CloseRead", p.B)
	}
	if err := cr.CloseRead(); err != nil {
		t.Fatalf("CloseRead: %v", err)
	}
	if n, err := p.B.Recv(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Recv after CloseRead = %d, %s; want 0, io.EOF", n, describe(err))
	}
	if _, err := p.B.Send([]byte("still")); err != nil {
		t.Fatalf("Send after CloseRead: %v", err)
	}
	if err := recvExact(p.A, []byte("still")); err != nil {
		t.Error(err)
	}
}
