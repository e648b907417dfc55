//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/loopio"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

// shutdownGrace bounds how long serve -loop waits, after SIGINT, for its
// connections to flush and close.
const shutdownGrace = 5 * time.Second

// serveLoop is `iomodel serve -loop`: the echo, or with -resp the RESP
// key-value store, on the model's Engine until ctx ends.
func serveLoop(ctx context.Context, model string, withRESP bool, addr string, std stdio) error {
	m, err := lookupModel(model)
	if err != nil {
		return err
	}
	var h iomodel.Handler = loopio.Echo{}
	what := "echo"
	if withRESP {
		h, what = resp.NewHandler(resp.NewStore()), "RESP key-value"
	}
	e, err := m.NewEngine(h, iomodel.EngineConfig{})
	switch {
	case errors.Is(err, models.ErrNoEngine):
		return usageError{err}
	case errors.Is(err, errors.ErrUnsupported):
		return usagef("model %s's engine is unavailable here: %v", m.Name, err)
	case err != nil:
		return fmt.Errorf("starting model %s's engine: %w", m.Name, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.Shutdown(context.Background())
		return usageError{err}
	}
	// The engine accepts on its own duplicate of ln's descriptor: ln stays
	// open until the engine has stopped.
	defer ln.Close()
	fmt.Fprintf(std.out, "iomodel serve: %s %s server (loop shape) listening on %s\n", m.Name, what, ln.Addr())
	fmt.Fprintf(std.err, "iomodel serve: the %s engine's loops (one per CPU: %d) call the handler back; Ctrl-C stops it, SIGUSR1 prints its system calls and wake-ups so far\n", m.Name, runtime.GOMAXPROCS(0))
	defer onStatsSignal(std.out, func() load.Counts { return engineCounts(e.Stats()) })()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	select {
	case err = <-served:
		// Serve stopped by itself: the listener failed.
		e.Shutdown(context.Background())
		return fmt.Errorf("%s engine: %w", m.Name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = e.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, iomodel.ErrEngineClosed) {
		err = errors.Join(err, serr)
	}
	fmt.Fprintf(std.err, "iomodel serve: stopped after %d clients\n", e.Stats().Accepted)
	return err
}
