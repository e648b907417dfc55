package stdconn_test

import (
	"net"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/net/nettest"

	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A model's Dial and Listen, as net's are.
type model struct {
	name   string
	dial   func(network, address string) (net.Conn, error)
	listen func(network, address string) (net.Listener, error)
}

var models = []model{
	{"net", net.Dial, net.Listen},
	{"blocking", func(n, a string) (net.Conn, error) { return blocking.Dial(n, a) }, func(n, a string) (net.Listener, error) { return blocking.Listen(n, a) }},
	{"nonblock", func(n, a string) (net.Conn, error) { return nonblock.Dial(n, a) }, func(n, a string) (net.Listener, error) { return nonblock.Listen(n, a) }},
	{"multiplex", func(n, a string) (net.Conn, error) { return multiplex.Dial(n, a) }, func(n, a string) (net.Listener, error) { return multiplex.Listen(n, a) }},
	{"sigdriven", func(n, a string) (net.Conn, error) { return sigdriven.Dial(n, a) }, func(n, a string) (net.Listener, error) { return sigdriven.Listen(n, a) }},
	{"async", func(n, a string) (net.Conn, error) { return async.Dial(n, a) }, func(n, a string) (net.Listener, error) { return async.Listen(n, a) }},
}

// TestNettest is nettest.TestConn for every model on every stream network,
// with no exception: both ends of each pipe are the model's (one dialed,
// one accepted).
func TestNettest(t *testing.T) {
	for _, m := range models {
		for _, network := range []string{"unix", "unixpacket", "tcp"} {
			t.Run(m.name+"/"+network, func(t *testing.T) {
				if m.name == "async" {
					skipWithoutRing(t)
				}
				nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
					return pipe(t, m, network)
				})
			})
		}
	}
}

func pipe(t *testing.T, m model, network string) (c1, c2 net.Conn, stop func(), err error) {
	address := "127.0.0.1:0"
	if network != "tcp" {
		address = filepath.Join(t.TempDir(), "s")
	}
	l, err := m.listen(network, address)
	if err != nil {
		return nil, nil, nil, err
	}
	defer l.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ac := make(chan accepted, 1)
	go func() {
		c, err := l.Accept()
		ac <- accepted{c, err}
	}()
	c1, err = m.dial(network, l.Addr().String())
	if err != nil {
		l.Close()
		<-ac
		return nil, nil, nil, err
	}
	a := <-ac
	if a.err != nil {
		c1.Close()
		return nil, nil, nil, a.err
	}
	return c1, a.c, func() { c1.Close(); a.c.Close() }, nil
}

// skipWithoutRing skips when io_uring cannot be had here, with the reason
// the kernel gave.
func skipWithoutRing(t *testing.T) {
	r, err := async.NewRing(16)
	if err != nil {
		t.Skipf("io_uring is not available here: %v", err)
	}
	r.Close()
}
