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
