package iofd

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iomodel/iomodel"
)

// Dir names a direction of a descriptor.
type Dir uint8

// The two directions.
const (
	Read  Dir = iota // Recv, Accept
	Write            // Send, Connect
)

func (d Dir) String() string {
	if d == Read {
		return "read"
	}
	return "write"
}

// Half is one direction of an FD: the lock that serializes its calls (held
// across their wait, so one reader and one writer run at a time), its
// deadline, its wake-up token, and its counters.
//
// The token is the same ready/wait protocol as the runtime's
// pdReady/pdWait, with a channel in place of a parked goroutine: Ready sets
// latched and, once a call has waited here, puts a value in the wake
// channel if there is room; Wait returns at once if latched was set, and
// otherwise sleeps on the channel. A wake-up that arrives while nobody
// waits is therefore kept for the next Wait, several wake-ups before a
// Wait fold into one, and one that comes between Wait's look at latched
// and its sleep finds the channel (made before that look). The channel
// is made by the first Wait, so a direction that never waits (the Write
// Half of most idle connections) costs none. A spurious return is
// allowed: the caller checks and tries again. No Ready is lost
// (TestHalfReadyNeverLost): Ready sets latched before it looks for the
// channel, and Wait makes the channel before it looks at latched, so
// either Wait sees latched or Ready sees the channel, and the value it
// leaves there outlives Wait's clearing latched after the park.
type Half struct {
	mu       sync.Mutex
	dir      Dir
	latched  atomic.Bool
	deadline atomic.Int64 // Unix nanoseconds; 0 means none
	wake     atomic.Pointer[waker]
	timer    *time.Timer // made on the first timed wait; used under mu

	calls, syscalls, wouldBlock, waits, bytes atomic.Uint64

	c *Call // the call in flight, made on first use (call); under mu
}

// waker holds a Half's wake channel, one value of room.
type waker struct{ c chan struct{} }

// parked counts the calls parked in Wait, process-wide.
var parked atomic.Int64

func (h *Half) init(d Dir) {
	h.dir = d
}

// Busy reports whether a call holds h's lock: whether one is in flight in
// this direction. Meant for Driver.Evict, once no new call can start.
func (h *Half) Busy() bool {
	if h.mu.TryLock() {
		h.mu.Unlock()
		return false
	}
	return true
}

// Dir reports which direction h is.
func (h *Half) Dir() Dir { return h.dir }

// Ready latches a wake-up for h: the call waiting in h now, or the next one
// to wait, returns from Wait and tries its system call again. Any goroutine
// may call it at any time; it never blocks and never allocates.
func (h *Half) Ready() {
	h.latched.Store(true)
	if w := h.wake.Load(); w != nil {
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
}

// setDeadline sets h's deadline; the zero time means none. A call parked
// in Wait is woken by its token, so that it applies the new deadline at
// once; FD.setDeadline then has the Driver evict one that waits elsewhere.
func (h *Half) setDeadline(t time.Time) {
	h.deadline.Store(deadlineNanos(t))
	h.Ready()
}

// Deadline reports h's deadline in Unix nanoseconds, 0 if none.
func (h *Half) Deadline() int64 { return h.deadline.Load() }

func deadlineNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Year() >= 2262: // past what UnixNano can hold
		return math.MaxInt64
	case t.UnixNano() <= 0:
		return 1 // any instant before 1970 has passed
	}
	return t.UnixNano()
}

// Expired reports whether h's deadline has passed.
func (h *Half) Expired() bool {
	d := h.deadline.Load()
	return d != 0 && time.Now().UnixNano() >= d
}

// Wait parks the calling goroutine until a wake-up token is taken (Ready),
// the FD is closed, h's deadline passes, or max elapses (max <= 0: no limit).
// It does not say which: the caller re-checks closed and deadline and retries
// its system call, so a spurious return costs one syscall and nothing more.
// Wait must be called with h's lock held (inside a call on fd).
//
// Close and SetDeadline leave a token (FD.Close readies both Halves), so
// with neither deadline nor max the sleep is on the token alone: one
// channel, the cheapest park there is. A model may signal its own
// completions there too (Token).
func (h *Half) Wait(max time.Duration) {
	h.waits.Add(1)
	d := max
	if dl := h.deadline.Load(); dl != 0 {
		left := time.Duration(dl - time.Now().UnixNano())
		if left <= 0 {
			return
		}
		if d <= 0 || left < d {
			d = left
		}
	}
	c := h.Token()
	if h.latched.Swap(false) {
		return
	}
	parked.Add(1)
	if d <= 0 {
		// The idle call's park: a frame as small as can be, since a
		// parked goroutine's stack is what an idle Conn costs most.
		<-c
	} else {
		h.sleep(c, d)
	}
	parked.Add(-1)
	// The wake-up is taken; one that came after it left a value in c.
	h.latched.Store(false)
}

// sleep is Wait's timed park: the token or d, whichever comes first.
func (h *Half) sleep(c chan struct{}, d time.Duration) {
	if h.timer == nil {
		h.timer = time.NewTimer(d)
	} else {
		h.timer.Reset(d)
	}
	select {
	case <-c:
	case <-h.timer.C:
	}
	// Since Go 1.23 Stop guarantees no stale value is left in timer.C.
	h.timer.Stop()
}

// Token is h's wake channel, made on first use, for a model that signals
// its own completions there with a non-blocking send, as Ready does (the
// async model: the ring signals a request's completion on its caller's
// token), and waits for them with Wait. Call it with h's lock held.
func (h *Half) Token() chan struct{} {
	if w := h.wake.Load(); w != nil {
		return w.c
	}
	w := &waker{c: make(chan struct{}, 1)}
	h.wake.Store(w)
	return w.c
}

// Stats reads h's counters.
func (h *Half) Stats() iomodel.DirStats {
	return iomodel.DirStats{
		Calls:      h.calls.Load(),
		Syscalls:   h.syscalls.Load(),
		WouldBlock: h.wouldBlock.Load(),
		Waits:      h.waits.Load(),
		Bytes:      h.bytes.Load(),
	}
}

// Count adds to h's counters, for models that move data outside the shared
// loops (the async model's completions).
func (h *Half) Count(calls, syscalls, wouldBlock, bytes uint64) {
	if calls != 0 {
		h.calls.Add(calls)
	}
	if syscalls != 0 {
		h.syscalls.Add(syscalls)
	}
	if wouldBlock != 0 {
		h.wouldBlock.Add(wouldBlock)
	}
	if bytes != 0 {
		h.bytes.Add(bytes)
	}
}
