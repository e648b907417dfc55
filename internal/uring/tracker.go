package uring

import "sync"

// Tracker counts requests in flight, so that whoever must outlive them (the
// close(2) of their descriptor) can wait for the last one.
type Tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // made by Wait, closed when n reaches 0
}

func (t *Tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *Tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
	t.mu.Unlock()
}

// Busy reports whether a tracked request is in flight now. A request
// counts from the moment Submit takes it (before it reaches the kernel), so
// a caller that marks something closed, then finds Busy false, knows that
// every later Submit on the Tracker comes after the mark.
func (t *Tracker) Busy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n > 0
}

// Wait returns once no tracked request is in flight.
func (t *Tracker) Wait() {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	<-idle
}
