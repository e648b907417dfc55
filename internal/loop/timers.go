package loop

import "time"

// epoch is the origin of Now: the loops keep times as monotonic
// nanoseconds since then, so a deadline is one int64 and a wall-clock step
// does not move it.
var epoch = time.Now()

// Now is the loops' clock: monotonic nanoseconds since the process
// started using this package. It is never 0.
func Now() int64 { return int64(time.Since(epoch)) + 1 }

// At turns a deadline into Now's clock; the zero time is 0 (none).
func At(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(Now()+int64(time.Until(t)), 1)
}

// timerSlot is a Conn's place in its loop's Timers.
type timerSlot struct {
	when  int64 // Now's clock when the Conn is due, as last scheduled
	index int   // position in the heap, or -1
}

// Timers is a loop's deadlines: a binary min-heap of Conns keyed on the
// time their next deadline (read deadline, idle timeout, flush timeout)
// falls due, one entry per Conn, as Redis keeps its time events in the loop
// itself rather than a runtime timer per connection. Data arriving does not
// touch it: the idle timeout is checked lazily when the entry falls due, and
// the Conn is rescheduled then if it was active. Only its loop uses it.
type Timers struct {
	h []*Conn
}

// Schedule puts c at its current Deadline, or takes it out when it has none.
func (t *Timers) Schedule(c *Conn) {
	when := c.Deadline()
	switch {
	case when == 0:
		t.remove(c)
	case c.timer.index < 0:
		c.timer.when = when
		c.timer.index = len(t.h)
		t.h = append(t.h, c)
		t.up(c.timer.index)
	case when != c.timer.when:
		c.timer.when = when
		t.fix(c.timer.index)
	}
}

// Remove takes c out; a Conn that is finished must not stay in the heap.
func (t *Timers) Remove(c *Conn) { t.remove(c) }

// Next is how long until the earliest entry falls due, from now: negative
// for none, zero when one is due already.
func (t *Timers) Next(now int64) time.Duration {
	if len(t.h) == 0 {
		return -1
	}
	return time.Duration(max(t.h[0].timer.when-now, 0))
}

// Due removes and returns one Conn whose entry is due at now, or nil.
func (t *Timers) Due(now int64) *Conn {
	if len(t.h) == 0 || t.h[0].timer.when > now {
		return nil
	}
	c := t.h[0]
	t.remove(c)
	return c
}

// Len is how many Conns are scheduled.
func (t *Timers) Len() int { return len(t.h) }

func (t *Timers) remove(c *Conn) {
	i := c.timer.index
	if i < 0 {
		return
	}
	last := len(t.h) - 1
	if i != last {
		t.swap(i, last)
	}
	t.h[last] = nil
	t.h = t.h[:last]
	c.timer.index = -1
	if i != last {
		t.fix(i)
	}
	if len(t.h) == 0 {
		t.h = t.h[:0:0] // let a burst's array go
	}
}

func (t *Timers) fix(i int) {
	if !t.down(i) {
		t.up(i)
	}
}

func (t *Timers) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if t.h[p].timer.when <= t.h[i].timer.when {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *Timers) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(t.h) {
			break
		}
		m := l
		if r := l + 1; r < len(t.h) && t.h[r].timer.when < t.h[l].timer.when {
			m = r
		}
		if t.h[i].timer.when <= t.h[m].timer.when {
			break
		}
		t.swap(i, m)
		i = m
	}
	return i > start
}

func (t *Timers) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.h[i].timer.index = i
	t.h[j].timer.index = j
}
