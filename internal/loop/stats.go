package loop

import (
	"sync/atomic"

	"github.com/iomodel/iomodel"
)

// Counters are an Engine's statistics, updated by its loops with atomic
// adds and read by Stats at any time.
type Counters struct {
	Loops    atomic.Int64
	Accepted atomic.Uint64
	Open     atomic.Int64
	Closed   atomic.Uint64
	Rejected atomic.Uint64

	Reads, Writes           atomic.Uint64
	BytesRead, BytesWritten atomic.Uint64
	Wakeups                 atomic.Uint64
	Paused                  atomic.Uint64
}

// Snapshot is Engine.Stats.
func (s *Counters) Snapshot() iomodel.EngineStats {
	return iomodel.EngineStats{
		Loops:        int(s.Loops.Load()),
		Accepted:     s.Accepted.Load(),
		Open:         s.Open.Load(),
		Closed:       s.Closed.Load(),
		Rejected:     s.Rejected.Load(),
		Reads:        s.Reads.Load(),
		Writes:       s.Writes.Load(),
		BytesRead:    s.BytesRead.Load(),
		BytesWritten: s.BytesWritten.Load(),
		Wakeups:      s.Wakeups.Load(),
		Paused:       s.Paused.Load(),
	}
}

// dirCounters is one direction of a Conn's Stats.
type dirCounters struct {
	calls, syscalls, wouldBlock, waits, bytes atomic.Uint64
}

func (d *dirCounters) snapshot() iomodel.DirStats {
	return iomodel.DirStats{
		Calls:      d.calls.Load(),
		Syscalls:   d.syscalls.Load(),
		WouldBlock: d.wouldBlock.Load(),
		Waits:      d.waits.Load(),
		Bytes:      d.bytes.Load(),
	}
}
