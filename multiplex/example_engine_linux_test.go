package multiplex_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/multiplex"
)

// lines answers each whole line it receives in upper case. A line cut in
// two by the network is left unconsumed, and OnData gets it again, whole,
// with the bytes that follow.
type lines struct{}

func (lines) OnOpen(c iomodel.EventConn) {}

func (lines) OnData(c iomodel.EventConn, data []byte) int {
	used := 0
	for {
		i := bytes.IndexByte(data[used:], '\n')
		if i < 0 {
			return used
		}
		c.Write(bytes.ToUpper(data[used : used+i+1]))
		used += i + 1
	}
}

func (lines) OnClose(c iomodel.EventConn, err error) {}

// An Engine serving a line protocol on epoll loops: no goroutine per
// connection, one read buffer per loop.
func ExampleNewEngine() {
	e, err := multiplex.NewEngine(lines{}, iomodel.EngineConfig{Loops: 2, IdleTimeout: time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, err := multiplex.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go e.Serve(ln)

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Write([]byte("hel"))
	c.Write([]byte("lo\nworld\n"))
	r := bufio.NewReader(c)
	for range 2 {
		line, _ := r.ReadString('\n')
		fmt.Print(line)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(e.Shutdown(ctx), e.Stats().Accepted)
	// Output:
	// HELLO
	// WORLD
	// <nil> 1
}
