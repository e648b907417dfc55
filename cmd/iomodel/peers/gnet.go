package main

import (
	"context"

	"github.com/panjf2000/gnet/v2"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

// gnetServer echoes, or serves RESP when store is set. gnet keeps each
// connection's unread bytes in its inbound buffer: Peek sees them, Discard
// drops what a whole command took.
type gnetServer struct {
	gnet.BuiltinEventEngine
	store *resp.Store
	ready func()
	eng   chan gnet.Engine
}

func (s *gnetServer) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng <- eng
	s.ready()
	return gnet.None
}

func (s *gnetServer) OnTraffic(c gnet.Conn) gnet.Action {
	if s.store == nil {
		buf, _ := c.Next(-1)
		c.Write(buf)
		return gnet.None
	}
	buf, _ := c.Peek(-1)
	l := borrow(s.store)
	out, n, err := l.s.Feed(l.out[:0], buf)
	if len(out) > 0 {
		c.Write(out)
	}
	l.out = out[:0]
	giveBack(l)
	if n > 0 {
		c.Discard(n) // Discard(0) would drop everything
	}
	if err != nil {
		return gnet.Close
	}
	return gnet.None
}

func serveGnet(ctx context.Context, addr string, loops int, store *resp.Store, ready func()) error {
	s := &gnetServer{store: store, ready: ready, eng: make(chan gnet.Engine, 1)}
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(s, "tcp://"+addr, gnet.WithNumEventLoop(loops), gnet.WithReusePort(false), gnet.WithTCPNoDelay(gnet.TCPNoDelay))
	}()
	var eng gnet.Engine
	select {
	case err := <-done:
		return err
	case eng = <-s.eng:
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	eng.Stop(context.Background())
	return <-done
}
