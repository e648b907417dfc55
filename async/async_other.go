//go:build !linux

package async

import (
	"net"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/platform"
	"github.com/iomodel/iomodel/internal/uring"
)

// Off Linux there is no io_uring: New, Dial, Listen and NewRing fail with
// platform's Unsupported error, and no Conn, Listener, Ring or Op exists
// for the rest to be reached.

type lifecycle struct{}

type opKernel struct{}

func openConn(int, net.Addr, options) (*Conn, *iofd.FD, error) {
	return nil, nil, platform.Unsupported(model, "New")
}

func openListener(int, options) (*Listener, *iofd.FD, error) {
	return nil, nil, platform.Unsupported(model, "Listen")
}

func newRing(int) (*Ring, error) { return nil, platform.Unsupported(model, "NewRing") }

func (r *Ring) release() {}

func ringStats(*uring.Ring) RingStats { return RingStats{} }

func (l *lifecycle) ringStats() RingStats { return RingStats{} }

func (l *lifecycle) peer(int) net.Addr { return nil }

func (c *Conn) start(recv bool, p []byte) *Op {
	return &Op{c: c, recv: recv, k: opKernel{}, early: platform.Unsupported(model, "Op"), done: closedChan}
}

func (op *Op) cancel() {}

func (op *Op) result() { op.err = op.early }
