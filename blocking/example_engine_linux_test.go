package blocking_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/blocking"
)

// greeter asks each client its name and greets it. Each connection has a
// goroutine of its own, asleep in recv(2) until bytes come, so OnData may
// block (a database call, a slow disk) and hold up that connection only.
type greeter struct{}

func (greeter) OnOpen(c iomodel.EventConn) { c.Write([]byte("name?\n")) }

func (greeter) OnData(c iomodel.EventConn, data []byte) int {
	name, _, whole := bytes.Cut(data, []byte("\n"))
	if !whole {
		return 0 // not a whole line yet: OnData gets it again with what follows
	}
	c.Write([]byte("hello, " + string(name) + "\n"))
	return len(name) + 1
}

func (greeter) OnClose(iomodel.EventConn, error) {}

// A server in the loop shape on the blocking model, and a client of
// package net.
func ExampleNewEngine() {
	e, err := blocking.NewEngine(greeter{}, iomodel.EngineConfig{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	question, _ := r.ReadString('\n')
	fmt.Fprintln(c, "rod")
	answer, _ := r.ReadString('\n')
	fmt.Print(question, answer)
	c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(e.Shutdown(ctx), <-served)
	// Output:
	// name?
	// hello, rod
	// <nil> iomodel: engine shut down
}
