package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// serveCmd is `iomodel serve`: a TCP server in one model that echoes, or with
// -welcome greets every line, until ctx ends (SIGINT).
func serveCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("serve", "[-model M] [-welcome] ADDR", std)
	model := fs.String("model", "multiplex", "the I/O model: "+modelList())
	welcome := fs.Bool("welcome", false, "answer each line with a greeting instead of echoing bytes")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one address to listen on (host:port, or :port), got %d arguments", fs.NArg())
	}
	m, err := lookupModel(*model)
	if err != nil {
		return err
	}
	inst, err := start(m)
	if err != nil {
		return err
	}
	defer inst.Close()
	ln, err := inst.Listen("tcp", fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	what := "echo"
	if *welcome {
		what = "greeting"
	}
	fmt.Fprintf(std.out, "iomodel serve: %s %s server listening on %s\n", m.Name, what, ln.Addr())
	fmt.Fprintf(std.err, "iomodel serve: %s; Ctrl-C stops it\n", m.Serves)
	s := &server{model: m, welcome: *welcome, ln: ln, conns: map[net.Conn]bool{}}
	return s.serve(ctx, std)
}

type server struct {
	model   models.Model
	welcome bool
	ln      net.Listener

	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool // nil once shutting down
	clients int
}

func (s *server) serve(ctx context.Context, std stdio) error {
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		s.shutdown()
	}()
	var err error
	for delay := time.Duration(0); ; {
		var c net.Conn
		c, err = s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				err = nil
				break
			}
			// Out of descriptors or memory, or a connection that died
			// in the queue: say so, back off, and go on serving.
			fmt.Fprintf(std.err, "iomodel serve: accept: %v\n", err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !s.track(c) {
			c.Close()
			break
		}
		s.wg.Add(1)
		go s.handle(c.(models.Conn))
	}
	close(stopped)
	s.shutdown()
	s.wg.Wait()
	fmt.Fprintf(std.err, "iomodel serve: stopped after %d clients\n", s.clients)
	return err
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

func (s *server) handle(c models.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		if s.conns != nil {
			delete(s.conns, c)
		}
		s.mu.Unlock()
		c.Close()
	}()
	if s.welcome {
		greet(c, s.model.Name)
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Recv(buf)
		if err != nil {
			return
		}
		if _, err := c.Send(buf[:n]); err != nil {
			return
		}
	}
}

// greet answers each line the client sends with one greeting line.
func greet(c models.Conn, model string) {
	r := bufio.NewReaderSize(c, 4096)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			name := line
			if line[len(line)-1] == '\n' {
				name = line[:len(line)-1]
			}
			if len(name) > 0 && name[len(name)-1] == '\r' {
				name = name[:len(name)-1]
			}
			reply := fmt.Appendf(nil, "Hello, %s! Welcome to the %s server.\n", name, model)
			if _, err := c.Send(reply); err != nil {
				return
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
