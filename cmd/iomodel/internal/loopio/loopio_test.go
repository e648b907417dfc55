package loopio

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/loopio/loopiotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ iomodel.DrainHandler = Echo{}

// TestEchoBackpressure: what the write queue refuses is held, in order,
// behind nothing else, and goes out on OnDrain; then the context is free.
func TestEchoBackpressure(t *testing.T) {
	c := &loopiotest.Recorder{}
	var h Echo
	h.OnOpen(c)
	if n := h.OnData(c, []byte("one ")); n != 4 {
		t.Fatalf("consumed %d", n)
	}
	c.Full = true
	h.OnData(c, []byte("two "))
	c.Full = false
	h.OnData(c, []byte("three ")) // queues behind two, though Write would take it
	if got := c.Written.String(); got != "one " {
		t.Fatalf("written %q before OnDrain, want %q", got, "one ")
	}
	c.Full = true
	h.OnDrain(c) // still full: nothing moves
	c.Full = false
	h.OnDrain(c)
	h.OnData(c, []byte("four"))
	if got, want := c.Written.String(), "one two three four"; got != want || c.Context() != nil {
		t.Errorf("written %q, context %v; want %q and none", got, c.Context(), want)
	}
	h.OnClose(c, nil)
}
