package async_test

import (
	"fmt"
	"log"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/async"
)

// connPair makes two connected Conns from a Unix socketpair.
func connPair() (*async.Conn, *async.Conn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	a, err := async.New(fds[0])
	if err != nil {
		log.Fatal(err) // io_uring unavailable: the error says why and what to do
	}
	b, err := async.New(fds[1])
	if err != nil {
		log.Fatal(err)
	}
	return a, b
}

// Three receives in flight at once, from one goroutine: the kernel completes
// each when its data arrives, in whatever order, and Wait collects them.
func ExampleConn_RecvAsync() {
	var clients, servers [3]*async.Conn
	for i := range clients {
		clients[i], servers[i] = connPair()
		defer clients[i].Close()
		defer servers[i].Close()
	}

	var bufs [3][16]byte
	var ops [3]*async.Op
	for i := range ops {
		ops[i] = clients[i].RecvAsync(bufs[i][:]) // bufs[i] is the kernel's until ops[i] is done
	}
	// The servers answer in reverse order.
	for i := len(servers) - 1; i >= 0; i-- {
		if _, err := servers[i].Send(fmt.Appendf(nil, "answer %d", i)); err != nil {
			log.Fatal(err)
		}
	}
	for i, op := range ops {
		n, err := op.Wait()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("conn %d: %s\n", i, bufs[i][:n])
	}
	// Output:
	// conn 0: answer 0
	// conn 1: answer 1
	// conn 2: answer 2
}

// A Conn is a net.Conn: Send and Recv are one io_uring request each.
func ExampleConn() {
	a, b := connPair()
	defer a.Close()
	defer b.Close()

	if _, err := a.Send([]byte("ping")); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 4)
	n, err := b.Recv(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf[:n])
	// Output: ping
}

// Dial and Accept go through the ring too (IORING_OP_CONNECT, IORING_OP_ACCEPT).
func ExampleListen() {
	l, err := async.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
	}()
	c, err := async.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Send([]byte("echo me"))
	buf := make([]byte, 64)
	n, err := c.Recv(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf[:n])
	// Output: echo me
}
