//go:build linux

package bench

import (
	"errors"
	"io"
	"net"
	"sync"
)

// Peer is the echo server every model is measured against: the standard
// library's net package on TCP loopback, a goroutine per connection copying
// with a large buffer. It is the same for every model, and the tool runs it in
// a process of its own so that its CPU time and threads are not counted
// against the model.
type Peer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// StartPeer listens on a free loopback port and echoes until Close.
func StartPeer() (*Peer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Peer{ln: ln, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the peer's host:port.
func (p *Peer) Addr() string { return p.ln.Addr().String() }

func (p *Peer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.conns == nil { // closed
			p.mu.Unlock()
			c.Close()
			return
		}
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 256<<10)
			io.CopyBuffer(c, readerOnly{c}, buf)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			c.Close()
		}()
	}
}

// readerOnly hides net.Conn's WriterTo so that CopyBuffer uses our buffer.
type readerOnly struct{ io.Reader }

// Close stops the peer, closes its connections and waits for its goroutines.
func (p *Peer) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
