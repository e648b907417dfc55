package sigdriven

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// A broadcaster is the classic signal-driven I/O of UNP 6.2 and 25.2:
// every descriptor signals plain SIGIO to the whole process (F_SETSIG 0,
// F_SETOWN_EX F_OWNER_PID), the signal says nothing about which descriptor
// became ready or in which direction, and standard signals merge while
// pending (signal(7)), so each SIGIO must wake every waiter, and every
// waiter retries its system call: the thundering herd that si_fd avoids.
//
// It receives SIGIO through os/signal, which hands each signal to every
// channel registered for it, so a program's own signal.Notify(SIGIO) keeps
// working beside it. One broadcaster serves the process; it starts with
// the first registration and stops (signal.Stop, goroutine gone) with the
// last.
type broadcaster struct {
	mu   sync.Mutex
	regs map[*registration]struct{}
	c    chan os.Signal
	done chan struct{}
}

var bcast struct {
	mu sync.Mutex // held while starting and stopping
	b  *broadcaster
}

func registerBroadcast(reg *registration) error {
	if _, err := unix.FcntlInt(uintptr(reg.fd), unix.F_GETFL, 0); err != nil {
		return os.NewSyscallError("fcntl F_GETFL", err)
	}
	bcast.mu.Lock()
	b := bcast.b
	if b == nil {
		b = &broadcaster{
			regs: make(map[*registration]struct{}),
			c:    make(chan os.Signal, 1),
			done: make(chan struct{}),
		}
		signal.Notify(b.c, unix.SIGIO)
		go b.run()
		bcast.b = b
	}
	b.mu.Lock()
	b.regs[reg] = struct{}{}
	b.mu.Unlock()
	reg.b = b
	bcast.mu.Unlock()
	if err := arm(reg.fd, 0, fOwnerPID, unix.Getpid()); err != nil {
		b.remove(reg)
		return err
	}
	return nil
}

// remove forgets reg; the last one stops the broadcaster.
func (b *broadcaster) remove(reg *registration) {
	bcast.mu.Lock()
	defer bcast.mu.Unlock()
	b.mu.Lock()
	delete(b.regs, reg)
	last := len(b.regs) == 0
	b.mu.Unlock()
	if last {
		signal.Stop(b.c)
		close(b.done)
		bcast.b = nil
	}
}

func (b *broadcaster) run() {
	for {
		select {
		case <-b.c:
			counters.sigios.Add(1)
			b.wakeAll()
		case <-b.done:
			return
		}
	}
}

// wakeAll latches a wake-up in both directions of every registration. No
// SIGIO is lost on the way: os/signal drops one only when b.c holds one
// already, and run's wakeAll for that one comes after both arrived, so it
// covers both; each latch keeps its wake-up for a call not yet waiting
// (see latch.wait).
func (b *broadcaster) wakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for reg := range b.regs {
		reg.signals.Add(1)
		reg.broadcast.Add(2)
		counters.broadcast.Add(2)
		reg.r.Ready()
		reg.w.Ready()
	}
}
