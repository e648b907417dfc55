package multiplex

import (
	"fmt"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/loop"
)

// NewEngine makes an Engine that will call h. It refuses a nil h and a
// bad cfg with an error naming what was wrong. Nothing runs until Serve.
func NewEngine(h iomodel.Handler, cfg iomodel.EngineConfig, opts ...EngineOption) (*Engine, error) {
	var o engineOptions
	for _, opt := range opts {
		opt(&o)
	}
	switch o.backend {
	case Epoll, Poll, Select:
	default:
		return nil, fmt.Errorf("multiplex.NewEngine: unknown backend %v", o.backend)
	}
	e, err := loop.NewEngine(model, h, cfg, loop.DetachTo(func(fd int) (*Conn, error) { return New(fd) }))
	if err != nil {
		return nil, err
	}
	e.Drive(loop.NewReadiness(e, func() (loop.Backend, error) {
		s, err := openSelector(o.backend, "NewEngine")
		if err != nil {
			return nil, err
		}
		return &selectorBackend{s: s, edge: o.backend == Epoll && !o.level}, nil
	}))
	return &Engine{e: e}, nil
}

// selectorBackend is a Selector as an Engine loop's loop.Backend.
type selectorBackend struct {
	s    Selector
	edge bool
	evs  []Event
}

func (b *selectorBackend) events(in loop.Interest) Events {
	var e Events
	if in&loop.Read != 0 {
		e |= Readable
	}
	if in&loop.Write != 0 {
		e |= Writable
	}
	if b.edge {
		e |= EdgeTriggered
	}
	return e
}

func (b *selectorBackend) Add(fd int, in loop.Interest, tag uint64) error {
	return b.s.Add(fd, b.events(in), tag)
}

func (b *selectorBackend) Modify(fd int, in loop.Interest, tag uint64) error {
	return b.s.Modify(fd, b.events(in), tag)
}

func (b *selectorBackend) Remove(fd int) error { return b.s.Remove(fd) }

func (b *selectorBackend) Wait(events []loop.Event, timeout time.Duration) (int, error) {
	if len(b.evs) < len(events) {
		b.evs = make([]Event, len(events))
	}
	n, err := b.s.Wait(b.evs[:len(events)], timeout)
	for i, ev := range b.evs[:n] {
		var r loop.Interest
		if ev.Events&Readable != 0 {
			r |= loop.Read
		}
		if ev.Events&Writable != 0 {
			r |= loop.Write
		}
		if ev.Events&HangUp != 0 {
			r |= loop.HangUp
		}
		if ev.Events&Error != 0 {
			r |= loop.Err
		}
		events[i] = loop.Event{Tag: ev.Tag, Ready: r}
	}
	return n, err
}

func (b *selectorBackend) Wake() error         { return b.s.Wake() }
func (b *selectorBackend) Close() error        { return b.s.Close() }
func (b *selectorBackend) EdgeTriggered() bool { return b.edge }
