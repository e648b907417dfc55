package sigdriven

import "sync/atomic"

// SignalStats counts, for the whole process, what the kernel's signals
// turned into. Read it with Signals; subtract two readings to measure an
// interval.
type SignalStats struct {
	// Signals is the number of real-time readiness signals the
	// dispatchers and the Engines' loops read: one per event the kernel reported (signal(7):
	// real-time signals queue, each with its si_fd and si_band).
	Signals uint64
	// Overflows is the number of plain SIGIOs the dispatchers and the
	// Engines' loops read: the
	// kernel sends one instead of the real-time signal when the signal
	// queue is full (RLIMIT_SIGPENDING, getrlimit(2)); it names no fd, so
	// every waiter is woken (an Engine's loop asks every connection). A SIGIO that someone else sent to the process
	// and a dispatcher happened to read counts here too.
	Overflows uint64
	// SIGIOs is the number of plain SIGIOs broadcast mode received through
	// os/signal (merged while pending: one may stand for many events).
	SIGIOs uint64
	// Precise is the number of wake-ups aimed at one direction of one
	// descriptor by si_fd and si_band.
	Precise uint64
	// Broadcast is the number of wake-ups handed to every registered
	// direction at once: after an overflow, and for each SIGIO in
	// broadcast mode.
	Broadcast uint64
	// Spurious is the number of wake-ups after which the call found
	// nothing to do (EAGAIN again) and waited once more.
	Spurious uint64
	// Stale is the number of readiness signals dropped because they were
	// about a descriptor number no longer registered, or queued before
	// that number's previous registration was retired (see Dispatcher in
	// the package doc).
	Stale uint64
	// Unfenced is the number of retirements whose marker signal could not
	// be queued (the queue was full): stale signals for that number may
	// then reach its next owner as spurious wake-ups.
	Unfenced uint64
	// Dispatchers is the number of dispatcher threads started.
	Dispatchers uint64
}

var counters struct {
	signals, overflows, sigios, precise, broadcast, spurious, stale, unfenced, dispatchers atomic.Uint64
}

// Signals reads the process-wide signal counters.
func Signals() SignalStats {
	return SignalStats{
		Signals:     counters.signals.Load(),
		Overflows:   counters.overflows.Load(),
		SIGIOs:      counters.sigios.Load(),
		Precise:     counters.precise.Load(),
		Broadcast:   counters.broadcast.Load(),
		Spurious:    counters.spurious.Load(),
		Stale:       counters.stale.Load(),
		Unfenced:    counters.unfenced.Load(),
		Dispatchers: counters.dispatchers.Load(),
	}
}

// regStats are one registration's counters, read by Conn.SignalStats.
type regStats struct {
	signals, precise, broadcast, spurious atomic.Uint64
}
