package multiplex_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/multiplex"
)

// pollers runs f on the default Poller and on a Poller of each backend.
func pollers(t *testing.T, f func(t *testing.T, opts []multiplex.Option)) {
	t.Run("default", func(t *testing.T) { f(t, nil) })
	for _, b := range []multiplex.Backend{multiplex.Epoll, multiplex.Poll, multiplex.Select} {
		t.Run(b.String(), func(t *testing.T) {
			p, err := multiplex.NewPoller(multiplex.WithBackend(b))
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := p.Close(); err != nil {
					t.Errorf("Poller.Close: %v", err)
				}
			}()
			f(t, []multiplex.Option{multiplex.WithPoller(p)})
		})
	}
}

func TestConformance(t *testing.T) {
	pollers(t, func(t *testing.T, opts []multiplex.Option) {
		pairs := conntest.FDPairs()
		if opts == nil {
			// The default Poller is an epoll Poller, run on every pair
			// below; here its start and stop on each pair is the point.
			pairs = pairs[:1]
		}
		conntest.RunFDs(t, func(fd int) (iomodel.Conn, error) { return multiplex.New(fd, opts...) }, pairs)
	})
}

func TestNetwork(t *testing.T) {
	pollers(t, func(t *testing.T, opts []multiplex.Option) {
		conntest.RunNetwork(t, facadeNetwork(opts...))
	})
}

func TestNewBadInput(t *testing.T) {
	pollers(t, func(t *testing.T, opts []multiplex.Option) {
		conntest.RunNew(t, func(fd int) (iomodel.Conn, error) { return multiplex.New(fd, opts...) })
	})
}

// TestConformanceOptions runs the suite on a Poller with four shards, and on
// one whose thread is locked, on a stream socketpair, TCP and a pipe.
func TestConformanceOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  multiplex.PollerOption
	}{
		{"shards4", multiplex.WithShards(4)},
		{"locked", multiplex.WithLockedThread()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := multiplex.NewPoller(tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var pairs []conntest.FDPair
			for _, pair := range conntest.FDPairs() {
				switch pair.Name {
				case "unix-stream", "tcp", "pipe":
					pairs = append(pairs, pair)
				}
			}
			conntest.RunFDs(t, func(fd int) (iomodel.Conn, error) { return multiplex.New(fd, multiplex.WithPoller(p)) }, pairs)
		})
	}
}
