//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// onStatsSignal prints counts() on w (a line load.CountsPrefix and JSON)
// at every SIGUSR1 until the returned
// func is called.
func onStatsSignal(w io.Writer, counts func() load.Counts) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-ch:
				b, _ := json.Marshal(counts())
				fmt.Fprintf(w, "%s%s\n", load.CountsPrefix, b)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		<-exited
	}
}

// engineCounts are an engine's counts as serve reports them.
func engineCounts(s iomodel.EngineStats) load.Counts {
	return load.Counts{Counted: true, Syscalls: s.Reads + s.Writes + s.Wakeups, Wakeups: s.Wakeups}
}

// add counts c's Stats into the closed connections' sum.
func (s *server) add(st iomodel.Stats) {
	s.closed.Read.Syscalls += st.Read.Syscalls
	s.closed.Write.Syscalls += st.Write.Syscalls
	s.closed.Read.Waits += st.Read.Waits
	s.closed.Write.Waits += st.Write.Waits
}

// counts are the goroutine shape's counts: the Conns' (open and closed)
// and the model's machinery's.
func (s *server) counts(inst *models.Instance) load.Counts {
	s.mu.Lock()
	sum := s.closed
	counted := s.model.Family != "net"
	for c := range s.conns {
		if st, ok := models.StatsOf(c); ok {
			sum.Read.Syscalls += st.Read.Syscalls
			sum.Write.Syscalls += st.Write.Syscalls
			sum.Read.Waits += st.Read.Waits
			sum.Write.Waits += st.Write.Waits
		}
	}
	s.mu.Unlock()
	if !counted {
		return load.Counts{}
	}
	sys := sum.Read.Syscalls + sum.Write.Syscalls
	if inst.Handed != nil {
		sys -= min(inst.Handed(), sys)
	}
	if inst.Machinery != nil {
		sys += inst.Machinery()
	}
	return load.Counts{Counted: true, Syscalls: sys, Wakeups: sum.Read.Waits + sum.Write.Waits}
}
