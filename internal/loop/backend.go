package loop

import "time"

// Interest is what a loop asks a Backend to watch a descriptor for, and
// what the Backend reports ready.
type Interest uint8

const (
	// Read: a read or accept would not block.
	Read Interest = 1 << iota
	// Write: a write would not block.
	Write
	// HangUp (reported only): the peer shut down its side, or the
	// connection is gone; a read returns end-of-file or the error.
	HangUp
	// Err (reported only): an error is pending; the next read returns it.
	Err
)

// An Event is one descriptor's readiness, as Backend.Wait reports it.
type Event struct {
	Tag   uint64   // the tag given to Add or Modify
	Ready Interest // what the descriptor is ready for
}

// Backend is how a readiness model waits: the four calls of Redis's aeApi
// (ae_epoll.c, ae_select.c) and a wake-up. One loop goroutine calls Add,
// Modify, Remove and Wait; Wake may be called from any goroutine.
//
// A Backend is level-triggered (Wait reports a descriptor for as long as
// it is ready for what it is watched for, as poll(2) and select(2) do) or
// edge-triggered (it reports a descriptor when it becomes ready, as
// epoll(7) with EPOLLET). The loop registers an edge-triggered
// descriptor once for Read|Write and never calls Modify for it; it then
// reads until EAGAIN, or remembers that it stopped early. A level-triggered
// descriptor is watched only for what the loop wants at the moment: Read
// while it reads, Write while output is queued.
type Backend interface {
	// Add starts watching fd for in, reporting it with tag. in may be 0.
	Add(fd int, in Interest, tag uint64) error
	// Modify changes what fd is watched for.
	Modify(fd int, in Interest, tag uint64) error
	// Remove stops watching fd; the loop calls it before closing fd.
	Remove(fd int) error
	// Wait blocks until a descriptor is ready, timeout passes or Wake is
	// called, and stores up to len(events) events. A negative timeout
	// waits for ever, zero does not wait. It returns 0, nil on timeout and
	// after a Wake, and retries EINTR itself.
	Wait(events []Event, timeout time.Duration) (int, error)
	// Wake makes the current Wait, or the next one, return. Safe from any
	// goroutine.
	Wake() error
	// Close releases the Backend's own descriptors.
	Close() error
	// EdgeTriggered tells how Wait reports readiness (see above).
	EdgeTriggered() bool
}

// A ThreadBackend is a Backend whose Wait must run on an OS thread of its
// own that it has prepared (sigdriven's: its signal is blocked there, and
// descriptors signal that thread's queue). Readiness starts such a loop
// with Go(run) instead of go run(); run ends, as every loop's, with Close,
// on that thread.
type ThreadBackend interface {
	Backend
	Go(run func())
}

// An Asker is a Backend that cannot know which descriptor is ready (the
// non-blocking model): its Wait reports every descriptor it watches, and
// the loop tries each. After each Wait's events the loop calls Found with
// how many of them found something (data, an end, room for queued output,
// a connection), so that the Asker can back off when a whole round found
// nothing.
type Asker interface {
	Backend
	Found(n int)
}

// NewBackend makes one loop's Backend; a readiness Engine calls it once per
// loop.
type NewBackend func() (Backend, error)
