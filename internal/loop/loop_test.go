package loop

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQueue: bytes pushed in random pieces come out in order through
// random advances, and an emptied queue holds no chunk.
func TestQueue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q queue
	var in, out bytes.Buffer
	for range 2000 {
		if r.IntN(2) == 0 {
			p := make([]byte, r.IntN(40000))
			for i := range p {
				p[i] = byte(r.Uint32())
			}
			q.push(p)
			in.Write(p)
		} else if h := q.head(); len(h) > 0 {
			n := 1 + r.IntN(len(h))
			out.Write(h[:n])
			q.advance(n)
		}
		if q.n != in.Len()-out.Len() {
			t.Fatalf("queue says %d bytes, %d were pushed and %d taken", q.n, in.Len(), out.Len())
		}
	}
	for h := q.head(); len(h) > 0; h = q.head() {
		out.Write(h)
		q.advance(len(h))
	}
	if !bytes.Equal(in.Bytes(), out.Bytes()) {
		t.Fatal("bytes came out of the queue different or out of order")
	}
	if len(q.chunks) != 0 || q.n != 0 {
		t.Fatalf("an empty queue holds %d chunks, n %d", len(q.chunks), q.n)
	}
}

// TestQueueHeadStays: appending never moves the bytes Head returned (a
// ring may be sending them): they are lent.
func TestQueueHeadStays(t *testing.T) {
	var q queue
	q.push([]byte("abc"))
	q.lend()
	h := q.head()
	for range 100 {
		q.push(bytes.Repeat([]byte("x"), 1000))
	}
	if &h[0] != &q.head()[0] || string(h) != "abc" {
		t.Fatal("the head moved or changed while more was queued")
	}
	q.reset()
}

// TestTimers: Conns come due in deadline order, a rescheduled one moves,
// and a removed one never comes.
func TestTimers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	e := &Engine{Config: iomodel.EngineConfig{FlushTimeout: time.Second}}
	var tm Timers
	var cs []*Conn
	for range 500 {
		c := e.NewConn(nil, -1, nil, nil)
		c.dl = 1 + r.Int64N(1000)
		tm.Schedule(c)
		cs = append(cs, c)
	}
	for _, c := range cs[:100] {
		c.dl = 1 + r.Int64N(1000)
		tm.Schedule(c)
	}
	for _, c := range cs[100:200] {
		tm.Remove(c)
	}
	if tm.Len() != 400 {
		t.Fatalf("Len %d, want 400", tm.Len())
	}
	var last int64
	n := 0
	for c := tm.Due(1 << 40); c != nil; c = tm.Due(1 << 40) {
		if c.dl < last {
			t.Fatalf("due at %d after one due at %d", c.dl, last)
		}
		last = c.dl
		n++
	}
	if n != 400 || tm.Next(0) >= 0 {
		t.Fatalf("%d came due, want 400; Next %v", n, tm.Next(0))
	}
}

// TestConfig: defaults, and each bad field named.
func TestConfig(t *testing.T) {
	cfg, err := Config("m", iomodel.EngineConfig{})
	if err != nil || cfg.Loops < 1 || cfg.ReadBuffer != DefaultReadBuffer || cfg.HighWater != DefaultHighWater ||
		cfg.LowWater != DefaultLowWater || cfg.FlushTimeout != DefaultFlushTimeout {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	if cfg, err := Config("m", iomodel.EngineConfig{HighWater: 1000}); err != nil || cfg.LowWater != 250 {
		t.Errorf("HighWater alone: LowWater %d, %v; want a quarter", cfg.LowWater, err)
	}
	for _, tc := range []struct {
		cfg   iomodel.EngineConfig
		field string
	}{
		{iomodel.EngineConfig{Loops: -1}, "Loops"},
		{iomodel.EngineConfig{HighWater: 10, LowWater: 10}, "LowWater"},
		{iomodel.EngineConfig{LowWater: DefaultHighWater}, "LowWater"},
		{iomodel.EngineConfig{FlushTimeout: -1}, "FlushTimeout"},
	} {
		_, err := Config("m", tc.cfg)
		if err == nil || !strings.Contains(err.Error(), "EngineConfig."+tc.field) || !strings.HasPrefix(err.Error(), "m.NewEngine: ") {
			t.Errorf("Config(%+v): %v, want an error naming m.NewEngine and %s", tc.cfg, err, tc.field)
		}
	}
}

// TestGoroutineID: two goroutines have different numbers, one has the
// same number each time.
func TestGoroutineID(t *testing.T) {
	id := GoroutineID()
	other := make(chan uint64)
	go func() { other <- GoroutineID() }()
	if o := <-other; id == 0 || o == 0 || o == id || GoroutineID() != id {
		t.Fatalf("GoroutineID: %d here, %d there, then %d", id, o, GoroutineID())
	}
}
