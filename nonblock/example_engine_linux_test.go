package nonblock_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/nonblock"
)

// echo writes back what it receives; Write queues what the socket does
// not take at once.
type echo struct{}

func (echo) OnOpen(iomodel.EventConn)                    {}
func (echo) OnData(c iomodel.EventConn, data []byte) int { c.Write(data); return len(data) }
func (echo) OnClose(iomodel.EventConn, error)            {}

// An echo server on one loop that asks each connection in turn whether it
// has data. After a round that found nothing the loop naps, at most 500 µs
// here (DefaultEnginePolicy: 2 ms): less latency after a quiet spell, more
// CPU spent asking while idle.
func ExampleNewEngine() {
	policy := nonblock.Policy{Yields: 2, MinSleep: 50 * time.Microsecond, MaxSleep: 500 * time.Microsecond}
	e, err := nonblock.NewEngine(echo{}, iomodel.EngineConfig{Loops: 1}, nonblock.WithEnginePolicy(policy))
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
	c.Write([]byte("hello, whoever asks"))
	buf := make([]byte, len("hello, whoever asks"))
	if _, err := io.ReadFull(c, buf); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(e.Shutdown(ctx), e.Stats().Accepted, "accepted")
	// Output:
	// hello, whoever asks
	// <nil> 1 accepted
}
