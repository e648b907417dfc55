package multiplex

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// newPoller is NewPoller.
func newPoller(o pollerOptions) (*Poller, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	p := &Poller{backend: o.backend}
	for range o.shards {
		sh, err := newShard(o.backend, o.locked)
		if err != nil {
			for _, sh := range p.shards {
				sh.close()
			}
			return nil, err
		}
		p.shards = append(p.shards, sh)
	}
	return p, nil
}

func newShard(b Backend, locked bool) (*shard, error) {
	sel, err := openSelector(b, "NewPoller")
	if err != nil {
		return nil, err
	}
	p := &shard{sel: sel, edge: b == Epoll, locked: locked, done: make(chan struct{})}
	go p.run()
	return p, nil
}

// run is the poller thread: wait, then wake whoever the events name.
func (p *shard) run() {
	// With WithLockedThread: locked, and never unlocked, so when run
	// returns, the runtime ends the thread (runtime.LockOSThread), and a
	// stopped Poller leaves no thread behind. (If it ran on the main thread, which the process cannot
	// lose, the runtime parks that thread instead: still none is added.)
	if p.locked {
		runtime.LockOSThread()
		p.tid.Store(int32(unix.Gettid()))
	}
	defer close(p.done)
	events := make([]Event, 256)
	ep, shared := p.sel.(*epollSelector)
	for {
		var n int
		var err error
		if shared {
			// Sleep until there are events, taking none: a Conn about
			// to park may take them first (pollNow), on a P it already
			// has, while this goroutine may wait for one; see pollNow.
			if err = ep.await(); err == nil {
				p.pending.Store(true)
				p.drainMu.Lock()
				p.pending.Store(false)
				n, err = p.sel.Wait(events, 0)
				if err == nil {
					p.dispatch(events[:n])
				}
				p.drainMu.Unlock()
			}
		} else {
			n, err = p.sel.Wait(events, -1)
			if err == nil && !p.stopped.Load() {
				p.dispatch(events[:n])
			}
		}
		if p.stopped.Load() {
			return
		}
		if err != nil {
			// Not expected (the selector is ours and only Close closes
			// it): stop rather than spin, and fail every waiter.
			p.err = err
			p.stopped.Store(true)
			p.wakeAll()
			return
		}
		p.waits.Add(1)
		p.events.Add(uint64(n))
		if n > 0 {
			// Let the goroutines just woken run before blocking again.
			// They sit in this P's run queue, and the wait is about to
			// block holding the P (syscall.Syscall only marks it "in
			// syscall"): if every other P is busy or also in a syscall,
			// nothing runs them until sysmon retakes the P, 20 µs to
			// 10 ms later. Gosched on a locked goroutine hands the P, run
			// queue and all, to another thread at once (handoffp), and
			// this thread resumes when the P is free again; unlocked, the
			// woken goroutine runs right here and the poller goes on on
			// whichever thread is free next. Measured: round trips 1.5 to
			// 3 times faster, and no stalls with 1000 Conns.
			runtime.Gosched()
		}
	}
}

// pollNow is what a Conn does on an epoll shard just before it parks: if
// nobody is taking events now, take what is ready (epoll_wait(2) with no
// timeout) and wake whoever it names. The poller goroutine only sleeps until
// there are events (await) and then needs a P to run on; on a busy machine
// it can wait for one for tens of milliseconds, behind the very goroutines
// its last round woke. A goroutine that is about to park has a P already,
// so readiness reaches its waiters at once, as the runtime's own netpoller
// is polled by whichever P runs out of work.
//
// It does so only while the poller goroutine has found events pending and
// not yet taken them (pending): then it is waiting for a P, or about to
// take them itself. Otherwise readiness is on its way anyway, and an
// epoll_wait per park would cost every Conn a system call for nothing.
func (p *shard) pollNow() {
	if !p.pending.Load() || !p.drainMu.TryLock() {
		return // nothing is held up, or someone is taking events now
	}
	p.pending.Store(false)
	n, err := p.sel.Wait(p.drainBuf[:], 0)
	if err == nil && n > 0 {
		p.events.Add(uint64(n))
		p.dispatch(p.drainBuf[:n])
	}
	p.drainMu.Unlock()
}
