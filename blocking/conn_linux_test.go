package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/conntest"
)

func newConn(fd int) (iomodel.Conn, error) { return blocking.New(fd) }

func TestConformance(t *testing.T) {
	pairs := conntest.FDPairs()
	for i := range pairs {
		if pairs[i].Name == "pipe" {
			pairs[i].Traits.NoDeadlines = "a blocking pipe has no timeout option"
			pairs[i].Traits.CloseCannotInterrupt = "a read(2) or write(2) sleeping on a pipe cannot be woken; the pipe is closed when it returns"
		}
	}
	conntest.RunFDs(t, newConn, pairs)
}

func TestNetwork(t *testing.T) {
	conntest.RunNetwork(t, facadeNetwork())
}

func TestNewBadInput(t *testing.T) {
	conntest.RunNew(t, func(fd int) (iomodel.Conn, error) { return blocking.New(fd) })
}
