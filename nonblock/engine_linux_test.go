package nonblock

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

type echoHandler struct{}

func (echoHandler) OnOpen(iomodel.EventConn) {}
func (echoHandler) OnData(c iomodel.EventConn, data []byte) int {
	c.Write(data)
	return len(data)
}
func (echoHandler) OnClose(iomodel.EventConn, error) {}

// TestEngineAsksEveryConnection: 200 clients of one loop exchange
// messages with it at once, one at a time each; every one is answered
// (none is left unasked while others keep the loop busy), and the loop's
// reads include the ones that found nothing.
func TestEngineAsksEveryConnection(t *testing.T) {
	const conns, rounds = 200, 10
	e, err := NewEngine(echoHandler{}, iomodel.EngineConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		<-served
	}()
	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer cs[i].Close()
		cs[i].SetDeadline(time.Now().Add(20 * time.Second))
	}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for k := range rounds {
				msg := bytes.Repeat([]byte{byte(i), byte(k)}, 32)
				if _, err := c.Write(msg); err != nil {
					errs <- fmt.Errorf("conn %d: %v", i, err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- fmt.Errorf("conn %d, message %d: %v", i, k, err)
					return
				}
				if !bytes.Equal(buf, msg) {
					errs <- fmt.Errorf("conn %d, message %d: echo differs", i, k)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := e.Stats()
	if s.Accepted != conns || s.BytesRead != conns*rounds*64 {
		t.Errorf("stats %+v: want %d accepted, %d bytes read", s, conns, conns*rounds*64)
	}
	if s.Reads <= uint64(conns*rounds) {
		t.Errorf("%d reads for %d messages: a loop that asks must find nothing sometimes", s.Reads, conns*rounds)
	}
}
