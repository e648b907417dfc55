package async_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/async"
)

// echo writes back whatever arrives. Its methods run on the connection's
// loop; data is the kernel's provided buffer, valid until OnData returns,
// and Write copies what it queues.
type echo struct{}

func (echo) OnOpen(c iomodel.EventConn)                      {}
func (echo) OnData(c iomodel.EventConn, data []byte) (n int) { c.Write(data); return len(data) }
func (echo) OnClose(c iomodel.EventConn, err error)          {}

// An echo server on the ring's loops, and a client of package net.
func ExampleNewEngine() {
	e, err := async.NewEngine(echo{}, iomodel.EngineConfig{})
	if err != nil {
		log.Fatal(err) // io_uring unavailable: the error says why
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
	c.Write([]byte("hello, ring"))
	buf := make([]byte, len("hello, ring"))
	if _, err := io.ReadFull(c, buf); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf)
	c.Close()

	if err := e.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Stats().Open, "open after Shutdown")
	// Output:
	// hello, ring
	// 0 open after Shutdown
}
