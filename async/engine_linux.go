package async

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/loop"
	"github.com/iomodel/iomodel/internal/uring"
)

// driver is the async Engine's loop.Driver: Config.Loops ringLoops, each
// a goroutine locked to its thread that owns a ring.
type driver struct {
	eng   *loop.Engine
	o     engineOptions
	loops []*ringLoop
	next  atomic.Uint32 // the loop the next accepted connection goes to
	nextL atomic.Uint32 // the loop the next listener goes to
	wg    sync.WaitGroup
	done  chan struct{}
}

// errStopping is Listen's error after Stop.
var errStopping = errors.New("engine is shutting down")

func newDriver(e *loop.Engine, o engineOptions) (loop.Driver, error) {
	// Find out now, not at Serve, whether io_uring is here at all. The
	// ring may be tied to this thread (SINGLE_ISSUER): set up, probed and
	// closed on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := uring.NewEventRing(8, 16)
	if err != nil {
		return nil, fmt.Errorf("async.NewEngine: %w", err)
	}
	r.Close()
	return &driver{eng: e, o: o, done: make(chan struct{})}, nil
}

// Start starts the loops and waits until each has its ring, or one failed.
func (d *driver) Start() error {
	n := d.eng.Config.Loops
	d.loops = make([]*ringLoop, n)
	ready := make(chan error, n)
	d.wg.Add(n)
	for i := range d.loops {
		d.loops[i] = &ringLoop{d: d}
		go d.loops[i].run(ready)
	}
	go func() { d.wg.Wait(); close(d.done) }()
	var first error
	for range n {
		if err := <-ready; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		d.Stop(true)
		<-d.done
	}
	return first
}

// Listen gives l to the next loop, which accepts on it.
func (d *driver) Listen(l *loop.Listener) error {
	rl := d.loops[int(d.nextL.Add(1)-1)%len(d.loops)]
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.stop || rl.exited {
		return errStopping
	}
	rl.newLns = append(rl.newLns, l)
	rl.wakeLocked()
	return nil
}

// Stop tells every loop to stop (force: at once).
func (d *driver) Stop(force bool) {
	for _, rl := range d.loops {
		rl.mu.Lock()
		rl.stop = true
		rl.force = rl.force || force
		rl.wakeLocked()
		rl.mu.Unlock()
	}
}

// Done is closed when every loop has exited.
func (d *driver) Done() <-chan struct{} { return d.done }

// dispatch hands an accepted socket to the next loop, round-robin.
func (d *driver) dispatch(from *ringLoop, fd int, local, remote net.Addr) {
	to := d.loops[int(d.next.Add(1)-1)%len(d.loops)]
	if to == from {
		from.open(fd, local, remote)
		return
	}
	to.mu.Lock()
	if to.stop || to.exited {
		to.mu.Unlock()
		unix.Close(fd)
		return
	}
	to.incoming = append(to.incoming, accepted{fd, local, remote})
	to.wakeLocked()
	to.mu.Unlock()
}
