//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/load"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

// serveCmd is `iomodel serve`: a TCP server in one model that echoes, or with
// -welcome greets every line, until ctx ends (SIGINT).
func serveCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("serve", "[-model M] [-loop] [-resp | -welcome] ADDR | [-model M] -http ADDR", std)
	model := fs.String("model", "multiplex", "the I/O model: "+modelList())
	welcome := fs.Bool("welcome", false, "answer each message (each line, or what arrives without a newline) with a greeting instead of echoing bytes")
	loop := fs.Bool("loop", false, "serve on the model's engine (the loop shape: a few loops call a handler back) instead of a goroutine per client on its Conn")
	respFlag := fs.Bool("resp", false, "serve a Redis-protocol key-value store (PING, SET, GET, DEL, ...; redis-cli and redis-benchmark talk to it) instead of echoing")
	httpAddr := fs.String("http", "", "serve net/http on this address instead, as iomodel load does: "+load.PathHello+" says Hello, World!, "+load.PathLarge+" answers 64 KiB, "+load.PathBody+" reads a request body")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the serving to this file (go tool pprof reads it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return usageError{err}
		}
		defer stop()
	}
	if *httpAddr != "" {
		if *welcome || fs.NArg() > 0 {
			return usagef("-http ADDR takes no other address and no -welcome")
		}
		return serveHTTP(ctx, *model, *httpAddr, std)
	}
	if fs.NArg() != 1 {
		return usagef("want one address to listen on (host:port, or :port), got %d arguments", fs.NArg())
	}
	if *welcome && (*respFlag || *loop) {
		return usagef("-welcome is the goroutine shape's greeting: not with -resp or -loop")
	}
	if *loop {
		return serveLoop(ctx, *model, *respFlag, fs.Arg(0), std)
	}
	m, inst, err := startModel(*model)
	if err != nil {
		return err
	}
	defer inst.Close()
	ln, err := inst.Listen("tcp", fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	s := &server{model: m, ln: ln, conns: map[net.Conn]bool{}, log: std.err, session: newEcho}
	what := "echo"
	switch {
	case *welcome:
		what = "greeting"
		s.session = func() session { return &welcomeSession{model: m.Name} }
	case *respFlag:
		what = "RESP key-value"
		store := resp.NewStore()
		s.session = func() session { return &respSession{st: resp.NewStream(store)} }
	}
	fmt.Fprintf(std.out, "iomodel serve: %s %s server listening on %s\n", m.Name, what, ln.Addr())
	fmt.Fprintf(std.err, "iomodel serve: %s; Ctrl-C stops it, SIGUSR1 prints its system calls and wake-ups so far\n", m.Serves)
	defer onStatsSignal(std.out, func() load.Counts { return s.counts(inst) })()

	stopped := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
		case <-stopped:
			return
		}
		s.shutdown()
		s.poke(stopped)
	}()
	if inst.TryAccept != nil {
		err = s.pollLoop(ctx, inst.TryAccept)
	} else {
		err = s.acceptLoop(ctx)
	}
	close(stopped)
	<-watched
	s.shutdown()
	s.wg.Wait()
	fmt.Fprintf(std.err, "iomodel serve: stopped after %d clients\n", s.clients)
	return err
}

// startCPUProfile profiles the process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// serveHTTP is `iomodel serve -http`: net/http on the model's Listener,
// with the handlers of the load benchmark, until ctx ends.
func serveHTTP(ctx context.Context, model, addr string, std stdio) error {
	m, inst, err := startModel(model)
	if err != nil {
		return err
	}
	defer inst.Close()
	ln, err := inst.Listen("tcp", addr)
	if err != nil {
		return usageError{err}
	}
	srv := &http.Server{Handler: load.Handler(), ErrorLog: log.New(std.err, "iomodel serve: ", 0)}
	fmt.Fprintf(std.out, "iomodel serve: %s HTTP server listening on %s\n", m.Name, ln.Addr())
	fmt.Fprintf(std.err, "iomodel serve: http://%s%s says Hello, World!, %s answers 64 KiB, %s reads a request body; net/http's goroutine per connection, each waiting the %s way; Ctrl-C stops it\n",
		ln.Addr(), load.PathHello, load.PathLarge, load.PathBody, m.Name)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		srv.Close()
		err = <-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// session is what the server says to one client: out for what came in.
type session interface {
	// feed takes bytes from the client and returns the answer so far; an
	// error means the answer is the last: send it and close.
	feed(in []byte) (out []byte, err error)
	// end is the last answer, once the client has shut down its side.
	end() []byte
}

// echoSession answers every byte with itself.
type echoSession struct{}

func newEcho() session                             { return echoSession{} }
func (echoSession) feed(in []byte) ([]byte, error) { return in, nil }
func (echoSession) end() []byte                    { return nil }

// respSession serves the RESP key-value store: the replies to every whole
// command that arrived (the Stream keeps a partial one), in a buffer
// reused from one read to the next.
type respSession struct {
	st  *resp.Stream
	out []byte
}

func (r *respSession) feed(in []byte) (out []byte, err error) {
	r.out, err = r.st.Feed(r.out[:0], in)
	return r.out, err
}

func (*respSession) end() []byte { return nil }

// welcomeSession answers each message with a greeting, the seed's server's
// way: each line that arrives, and whatever arrives without a newline, as
// soon as it arrives (the seed's client sends "I" and its name with no
// newline and waits for one answer). So a line the network splits in two is
// answered twice; a client that wants one answer per line sends it whole.
type welcomeSession struct {
	model string
	line  []byte
}

// maxLine bounds a line: a longer one is answered in pieces.
const maxLine = 4096

func (w *welcomeSession) feed(in []byte) ([]byte, error) {
	var out []byte
	for _, b := range in {
		if b == '\n' || len(w.line) == maxLine {
			out = w.greet(out)
			if b == '\n' {
				continue
			}
		}
		w.line = append(w.line, b)
	}
	if len(w.line) > 0 {
		out = w.greet(out)
	}
	return out, nil
}

func (w *welcomeSession) end() []byte {
	if len(w.line) == 0 {
		return nil
	}
	return w.greet(nil)
}

func (w *welcomeSession) greet(out []byte) []byte {
	name := w.line
	if n := len(name); n > 0 && name[n-1] == '\r' {
		name = name[:n-1]
	}
	out = fmt.Appendf(out, "Hello, %s! Welcome to the %s server.\n", name, w.model)
	w.line = w.line[:0]
	return out
}

type server struct {
	model   models.Model
	ln      net.Listener
	log     io.Writer
	session func() session

	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool // nil once shutting down
	clients int
	closed  iomodel.Stats // the counts of the connections closed
}

// acceptLoop serves each client on a goroutine of its own, which waits in
// the model's way in Recv and Send.
func (s *server) acceptLoop(ctx context.Context) error {
	for delay := time.Duration(0); ; {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of descriptors or memory, or a connection that died
			// in the queue: say so, back off, and go on serving.
			fmt.Fprintf(s.log, "iomodel serve: accept: %v\n", err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !s.track(c) {
			c.Close()
			return nil
		}
		s.wg.Add(1)
		go s.handle(c.(models.Conn))
	}
}

// track adds c to the open connections, or reports false when shutting down.
func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = true
	s.clients++
	return true
}

// untrack closes c and forgets it, keeping its counts.
func (s *server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	if s.conns[c] {
		delete(s.conns, c)
		if st, ok := models.StatsOf(c); ok {
			s.add(st)
		}
	}
	s.mu.Unlock()
}

// shutdown stops accepting and closes every connection, which unblocks
// their handlers in every model (Close wakes pending calls).
func (s *server) shutdown() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// poke wakes an Accept that Close failed to unblock, by connecting to the
// listener (which stays open until that Accept returns), until stopped is
// closed. Every model's Close should unblock Accept by itself; this keeps
// Ctrl-C working where one does not (see the warning it prints).
func (s *server) poke(stopped <-chan struct{}) {
	addr := s.ln.Addr().String()
	for wait := 500 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		select {
		case <-stopped:
			return
		case <-time.After(wait):
		}
		fmt.Fprintf(s.log, "iomodel serve: warning: %s's Accept did not return after Close; waking it with a connection\n", s.model.Name)
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
		}
	}
}

func (s *server) handle(c models.Conn) {
	defer s.wg.Done()
	defer s.untrack(c)
	sess := s.session()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Recv(buf)
		out, ferr := sess.feed(buf[:n])
		if len(out) > 0 {
			if _, err := c.Send(out); err != nil {
				return
			}
		}
		if ferr != nil {
			return
		}
		if err == io.EOF {
			c.Send(sess.end())
			return
		}
		if err != nil {
			return
		}
	}
}

// Polling back-off: after a sweep in which no client had anything, sleep
// from minPoll, doubling up to maxPoll, so that an idle server asks the
// kernel a few hundred times a second instead of spinning a core.
const (
	minPoll = 50 * time.Microsecond
	maxPoll = 2 * time.Millisecond
)

// pollLoop serves every client from this one goroutine, the non-blocking
// model's way: sweep the listener and each connection with calls that never
// wait, and back off when a sweep finds nothing to do.
func (s *server) pollLoop(ctx context.Context, tryAccept func(net.Listener) (models.TryConn, error)) error {
	type client struct {
		c    models.TryConn
		sess session
		out  []byte // answer not yet sent
		eof  bool   // the client has shut down its side, or the session ended
	}
	var clients []*client
	defer func() {
		for _, cl := range clients {
			s.untrack(cl.c)
		}
	}()
	wouldBlock := func(err error) bool { return errors.Is(err, syscall.EAGAIN) }
	buf := make([]byte, 32<<10)
	for delay := time.Duration(0); ctx.Err() == nil; {
		busy := false
		for {
			c, err := tryAccept(s.ln)
			if err != nil {
				if wouldBlock(err) {
					break
				}
				if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return nil
				}
				fmt.Fprintf(s.log, "iomodel serve: accept: %v\n", err)
				break
			}
			if !s.track(c) {
				c.Close()
				return nil
			}
			clients = append(clients, &client{c: c, sess: s.session()})
			busy = true
		}
		live := clients[:0]
		for _, cl := range clients {
			drop := false
			if len(cl.out) > 0 {
				n, err := cl.c.TrySend(cl.out)
				cl.out = cl.out[n:]
				busy = busy || n > 0
				drop = err != nil && !wouldBlock(err)
			}
			// Read only once the last answer is out: a client that does
			// not read its answers is not read from (back-pressure).
			if !drop && len(cl.out) == 0 && !cl.eof {
				n, err := cl.c.TryRecv(buf)
				out, ferr := cl.sess.feed(buf[:n])
				cl.out = append(cl.out, out...)
				busy = busy || n > 0
				switch {
				case ferr != nil:
					cl.eof, busy = true, true
				case err == io.EOF:
					cl.out = append(cl.out, cl.sess.end()...)
					cl.eof, busy = true, true
				case err != nil && !wouldBlock(err):
					drop = true
				}
			}
			if drop || cl.eof && len(cl.out) == 0 {
				s.untrack(cl.c)
				continue
			}
			live = append(live, cl)
		}
		clear(clients[len(live):])
		clients = live
		if busy {
			delay = 0
			continue
		}
		delay = min(max(2*delay, minPoll), maxPoll)
		time.Sleep(delay)
	}
	return nil
}
