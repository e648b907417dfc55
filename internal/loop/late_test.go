package loop

import (
	"testing"

	"github.com/iomodel/iomodel"
)

// consumer is a Handler whose OnData records what it is given and
// consumes the first take[i] bytes of its i-th call.
type consumer struct {
	take []int
	seen []string
}

func (h *consumer) OnOpen(iomodel.EventConn)         {}
func (h *consumer) OnClose(iomodel.EventConn, error) {}
func (h *consumer) OnData(c iomodel.EventConn, p []byte) int {
	h.seen = append(h.seen, string(p))
	n := h.take[0]
	h.take = h.take[1:]
	return n
}

// nobody is an Owner that is never asked anything here.
type nobody struct{}

func (nobody) Kick(*Conn)          {}
func (nobody) Unwatch(*Conn) error { return nil }
func (nobody) Watch(*Conn) error   { return nil }
func (nobody) Goroutine() uint64   { return 0 }

// TestLateBytes: bytes kept for a Detach that then failed (AddLate) come
// back from TakeLate once, whatever OnData consumed meanwhile, and the
// input held for the next OnData stays held; a Conn holding neither has
// no aside.
func TestLateBytes(t *testing.T) {
	h := &consumer{take: []int{2, 3, 4, 0}}
	e, err := NewEngine("test", h, iomodel.EngineConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := e.NewConn(nobody{}, -1, nil, nil)

	c.AddLate([]byte("late"))
	c.Input([]byte("ab")) // all consumed: the late bytes stay
	if got := string(c.TakeLate()); got != "late" {
		t.Fatalf("TakeLate after an OnData that consumed everything: %q, want %q", got, "late")
	}
	if c.TakeLate() != nil || c.aside != nil {
		t.Fatalf("after TakeLate: late %q, aside %+v; want nothing", c.TakeLate(), c.aside)
	}

	c.Input([]byte("cdef")) // "f" is held
	c.AddLate([]byte("xy"))
	if got := string(c.TakeLate()); got != "xy" {
		t.Fatalf("TakeLate with input held: %q, want %q", got, "xy")
	}
	c.Input([]byte("gh")) // OnData sees "fgh", consumes all
	if c.aside != nil {
		t.Fatalf("nothing held and nothing late, yet aside is %+v", c.aside)
	}
	want := []string{"ab", "cdef", "fgh"}
	if len(h.seen) != len(want) {
		t.Fatalf("OnData saw %q, want %q", h.seen, want)
	}
	for i := range want {
		if h.seen[i] != want[i] {
			t.Fatalf("OnData saw %q, want %q", h.seen, want)
		}
	}
}
