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

// counters are a Conn's Stats, both directions. The write side has no
// Waits: an engine's Write never waits (it queues).
type counters struct {
	rdCalls, rdSyscalls, rdWouldBlock, rdWaits, rdBytes atomic.Uint64
	wrCalls, wrSyscalls, wrWouldBlock, wrBytes          atomic.Uint64
}

func (n *counters) snapshot() iomodel.Stats {
	return iomodel.Stats{
		Read: iomodel.DirStats{
			Calls:      n.rdCalls.Load(),
			Syscalls:   n.rdSyscalls.Load(),
			WouldBlock: n.rdWouldBlock.Load(),
			Waits:      n.rdWaits.Load(),
			Bytes:      n.rdBytes.Load(),
		},
		Write: iomodel.DirStats{
			Calls:      n.wrCalls.Load(),
			Syscalls:   n.wrSyscalls.Load(),
			WouldBlock: n.wrWouldBlock.Load(),
			Bytes:      n.wrBytes.Load(),
		},
	}
}
