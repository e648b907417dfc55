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

// Timers is a loop's deadlines: a binary min-heap of Conns keyed on the
// time their next deadline (read deadline, idle timeout, flush timeout)
// falls due, one entry per Conn, as Redis keeps its time events in the loop
// itself rather than a runtime timer per connection. Data arriving does not
// touch it: the idle timeout is checked lazily when the entry falls due, and
// the Conn is rescheduled then if it was active. Only its loop uses it.
//
// An entry holds the time it is due beside its Conn, so that a Conn without
// a deadline (most idle ones) carries only its place in the heap, and the
// heap is ordered without a look into each Conn.
type Timers struct {
	h []timerEntry
}

// timerEntry is a Conn in a Timers heap, and when it is due, as last
// scheduled, on Now's clock.
type timerEntry struct {
	when int64
	c    *Conn
}

// Schedule puts c at its current Deadline, or takes it out when it has none.
func (t *Timers) Schedule(c *Conn) {
	when := c.Deadline()
	switch {
	case when == 0:
		t.remove(c)
	case c.timerIndex < 0:
		c.timerIndex = int32(len(t.h))
		t.h = append(t.h, timerEntry{when, c})
		t.up(int(c.timerIndex))
	case when != t.h[c.timerIndex].when:
		t.h[c.timerIndex].when = when
		t.fix(int(c.timerIndex))
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
	return time.Duration(max(t.h[0].when-now, 0))
}

// Due removes and returns one Conn whose entry is due at now, or nil.
func (t *Timers) Due(now int64) *Conn {
	if len(t.h) == 0 || t.h[0].when > now {
		return nil
	}
	c := t.h[0].c
	t.remove(c)
	return c
}

// Len is how many Conns are scheduled.
func (t *Timers) Len() int { return len(t.h) }

func (t *Timers) remove(c *Conn) {
	i := int(c.timerIndex)
	if i < 0 {
		return
	}
	last := len(t.h) - 1
	if i != last {
		t.swap(i, last)
	}
	t.h[last] = timerEntry{}
	t.h = t.h[:last]
	c.timerIndex = -1
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
		if t.h[p].when <= t.h[i].when {
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
		if r := l + 1; r < len(t.h) && t.h[r].when < t.h[l].when {
			m = r
		}
		if t.h[i].when <= t.h[m].when {
			break
		}
		t.swap(i, m)
		i = m
	}
	return i > start
}

func (t *Timers) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.h[i].c.timerIndex = int32(i)
	t.h[j].c.timerIndex = int32(j)
}
