//go:build linux

package load

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Server is one shape served on one Listener for one run.
type Server struct {
	ln     net.Listener
	http   *http.Server
	served chan error

	mu    sync.Mutex
	conns []*atomic.Int64 // requests (or echoes) answered, per connection
	open  map[net.Conn]bool
	wg    sync.WaitGroup
}

type connKey struct{}

// Serve serves s on ln until Close: net/http with Handler (over tls when
// s.TLS, with cfg), or for the echo shape a goroutine per connection that
// writes back what it reads. It counts what each connection was answered,
// for the fairness figure.
func Serve(ln net.Listener, s Shape, cfg *tls.Config) *Server {
	srv := &Server{ln: ln, served: make(chan error, 1), open: map[net.Conn]bool{}}
	if s.Echo {
		go func() { srv.served <- srv.echo() }()
		return srv
	}
	if s.TLS {
		ln = tls.NewListener(ln, cfg)
	}
	h := Handler()
	srv.http = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n, ok := r.Context().Value(connKey{}).(*atomic.Int64); ok {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		}),
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, srv.newConn())
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { srv.served <- srv.http.Serve(ln) }()
	return srv
}

func (srv *Server) newConn() *atomic.Int64 {
	n := new(atomic.Int64)
	srv.mu.Lock()
	srv.conns = append(srv.conns, n)
	srv.mu.Unlock()
	return n
}

// PerConn is the fewest, the median and the most requests one connection
// was answered, among those that were answered at least once, and how many connections
// were never answered. wrk opens one connection of its own first, to check
// that the server is there, and sends nothing on it: that one is not
// counted among the unanswered.
func (srv *Server) PerConn() (fewest, median, most int64, unanswered int) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var ns []int64
	for _, n := range srv.conns {
		if v := n.Load(); v > 0 {
			ns = append(ns, v)
		} else {
			unanswered++
		}
	}
	if len(ns) == 0 {
		return 0, 0, 0, unanswered
	}
	slices.Sort(ns)
	return ns[0], ns[len(ns)/2], ns[len(ns)-1], max(0, unanswered-1)
}

// echo accepts and echoes until the listener closes.
func (srv *Server) echo() error {
	for delay := time.Duration(0); ; {
		c, err := srv.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return http.ErrServerClosed
			}
			// Out of descriptors, or a connection that died in the
			// queue: back off and go on, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		n := srv.newConn()
		srv.mu.Lock()
		srv.open[c] = true
		srv.mu.Unlock()
		srv.wg.Go(func() {
			defer func() {
				srv.mu.Lock()
				delete(srv.open, c)
				srv.mu.Unlock()
				c.Close()
			}()
			buf := make([]byte, 4096)
			for {
				k, err := c.Read(buf)
				if k > 0 {
					if _, err := c.Write(buf[:k]); err != nil {
						return
					}
					n.Add(1)
				}
				if err != nil {
					return
				}
			}
		})
	}
}

// Close stops the server and every connection, and waits (up to a limit)
// for the serving goroutines to end; it says so if they do not.
func (srv *Server) Close() error {
	var err error
	if srv.http != nil {
		err = srv.http.Close()
	} else {
		err = srv.ln.Close()
	}
	select {
	case serr := <-srv.served:
		if !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	case <-time.After(5 * time.Second):
		return errors.New("the server did not stop within 5 s of Close (Accept did not return)")
	}
	// The accept loop has ended: no connection joins open any more.
	srv.mu.Lock()
	for c := range srv.open {
		c.Close()
	}
	srv.mu.Unlock()
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return errors.New("echo connections still open 5 s after Close")
	}
	return err
}
