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

// A Conn is a net.Conn. On a socket, Send and Recv first try the copy at
// once (send(2), recv(2) with MSG_DONTWAIT); only a call that would wait
// becomes an io_uring request, and its caller wakes with the copy done.
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

// Dial is an io_uring request (IORING_OP_CONNECT). Accept takes a
// connection already waiting with accept4(2), as package net does, and
// waits for one on the ring (IORING_OP_POLL_ADD) when none is.
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

// SendAsync and RecvAsync start the operations and return at once: one
// goroutine has a receive and a send in flight together, and collects both.
func ExampleConn_SendAsync() {
	a, b := connPair()
	defer a.Close()
	defer b.Close()

	buf := make([]byte, 16)
	recv := b.RecvAsync(buf)            // buf is the kernel's until recv is done
	send := a.SendAsync([]byte("ping")) // so is the slice sent, until send is done
	if _, err := send.Wait(); err != nil {
		log.Fatal(err)
	}
	n, err := recv.Wait()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf[:n])
	// Output: ping
}
