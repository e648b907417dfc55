package nonblock_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/conntest"
	"github.com/iomodel/iomodel/nonblock"
)

func TestConformance(t *testing.T) {
	conntest.RunFDs(t, newConn, conntest.FDPairs())
}

func TestConformanceSpin(t *testing.T) {
	pairs := conntest.FDPairs()[:1]
	conntest.RunFDs(t, func(fd int) (iomodel.Conn, error) { return nonblock.New(fd, nonblock.WithPolicy(nonblock.Spin)) }, pairs)
}

func TestNetwork(t *testing.T) {
	conntest.RunNetwork(t, facadeNetwork())
}

func TestNewBadInput(t *testing.T) {
	conntest.RunNew(t, func(fd int) (iomodel.Conn, error) { return nonblock.New(fd) })
}

func newConn(fd int) (iomodel.Conn, error) { return nonblock.New(fd) }
