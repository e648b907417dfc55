package sigdriven_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/sigdriven"
)

// echo is a Handler that writes back what it receives.
type echo struct{}

func (echo) OnOpen(iomodel.EventConn) {}
func (echo) OnData(c iomodel.EventConn, data []byte) int {
	c.Write(data) // copied into the queue if the socket cannot take it all
	return len(data)
}
func (echo) OnClose(iomodel.EventConn, error) {}

// An echo server in the loop shape: the loops sleep on their real-time
// signal queues and call echo for the connection each signal names.
func ExampleNewEngine() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	e, err := sigdriven.NewEngine(echo{}, iomodel.EngineConfig{Loops: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("hello, signal queue"))
	buf := make([]byte, len("hello, signal queue"))
	if _, err := io.ReadFull(c, buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", buf)
	c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(e.Shutdown(ctx), <-served)
	// Output:
	// hello, signal queue
	// <nil> iomodel: engine shut down
}
