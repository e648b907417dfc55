package sigdriven_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/sigdriven"
)

// counter answers each message with how many bytes its connection has
// sent so far, a count kept with the connection (SetContext).
type counter struct{}

func (counter) OnOpen(c iomodel.EventConn) { c.SetContext(0) }

func (counter) OnData(c iomodel.EventConn, data []byte) int {
	n := c.Context().(int) + len(data)
	c.SetContext(n)
	fmt.Fprintln(c, n) // an EventConn is an io.Writer
	return len(data)
}

func (counter) OnClose(iomodel.EventConn, error) {}

// A server on loops that sleep on their real-time signal queues, here
// signal 40 (WithEngineSignal): the kernel queues one signal per
// readiness event, naming the descriptor, and the loop calls counter for
// it.
func ExampleNewEngine() {
	e, err := sigdriven.NewEngine(counter{}, iomodel.EngineConfig{Loops: 1}, sigdriven.WithEngineSignal(40))
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go e.Serve(ln)

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.Close()
	r := bufio.NewReader(c)
	for _, msg := range []string{"abc", "de"} {
		c.Write([]byte(msg))
		n, _ := r.ReadString('\n')
		fmt.Print(n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(e.Shutdown(ctx))
	// Output:
	// 3
	// 5
	// <nil>
}
