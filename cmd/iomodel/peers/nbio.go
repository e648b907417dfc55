package main

import (
	"context"

	"github.com/lesismal/nbio"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

// serveNbio echoes, or serves RESP when store is set. nbio hands OnData a
// buffer that is its loop's: a connection whose data ends in a partial
// command keeps it in a resp.Stream of its own (its Session).
func serveNbio(ctx context.Context, addr string, loops int, store *resp.Store, ready func()) error {
	g := nbio.NewEngine(nbio.Config{Network: "tcp", Addrs: []string{addr}, NPoller: loops})
	if store == nil {
		g.OnData(func(c *nbio.Conn, data []byte) { c.Write(data) })
	} else {
		g.OnData(func(c *nbio.Conn, data []byte) {
			if st, ok := c.Session().(*resp.Stream); ok {
				out, err := st.Feed(nil, data)
				if len(out) > 0 {
					c.Write(out)
				}
				if err != nil {
					c.Close()
				}
				return
			}
			l := borrow(store)
			out, n, err := l.s.Feed(l.out[:0], data)
			if len(out) > 0 {
				c.Write(out)
			}
			l.out = out[:0]
			giveBack(l)
			if err != nil {
				c.Close()
				return
			}
			if n < len(data) {
				st := resp.NewStream(store)
				st.Feed(nil, data[n:]) // only the start of a command: kept, no reply
				c.SetSession(st)
			}
		})
	}
	if err := g.Start(); err != nil {
		return err
	}
	ready()
	<-ctx.Done()
	g.Stop()
	return nil
}
