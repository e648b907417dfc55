//go:build linux

package iomodel_test

import (
	"errors"
	"fmt"
	"io"
	"log"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/async"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/multiplex"
	"github.com/iomodel/iomodel/nonblock"
	"github.com/iomodel/iomodel/sigdriven"
)

// socketpair returns two connected AF_UNIX stream sockets.
func socketpair() (int, int) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	return fds[0], fds[1]
}

// greet works the same whatever the model: it only sees an iomodel.Conn.
func greet(client, server iomodel.Conn) {
	if _, err := client.Send([]byte("hello")); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := server.Recv(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("server got %q\n", buf[:n])
	client.Close()
	if _, err := server.Recv(buf); err == io.EOF {
		fmt.Println("server saw the client leave")
	}
	server.Close()
}

// Any model's Conn is an iomodel.Conn: choosing one is choosing an import.
func Example() {
	a, b := socketpair()
	client, err := blocking.New(a)
	if err != nil {
		log.Fatal(err)
	}
	server, err := nonblock.New(b)
	if err != nil {
		log.Fatal(err)
	}
	greet(client, server)
	// Output:
	// server got "hello"
	// server saw the client leave
}

// The blocking model: each call sleeps in the kernel until it is done.
func Example_blocking() {
	a, b := socketpair()
	c1, _ := blocking.New(a)
	c2, _ := blocking.New(b)
	greet(c1, c2)
	// Output:
	// server got "hello"
	// server saw the client leave
}

// The non-blocking model: TryRecv asks once and says ErrWouldBlock when
// there is nothing yet; Recv keeps asking under a back-off policy.
func Example_nonblock() {
	a, b := socketpair()
	c1, _ := nonblock.New(a)
	c2, _ := nonblock.New(b)
	if _, err := c2.TryRecv(make([]byte, 16)); err != nil {
		fmt.Println("nothing yet:", errorsIs(err, nonblock.ErrWouldBlock))
	}
	greet(c1, c2)
	// Output:
	// nothing yet: true
	// server got "hello"
	// server saw the client leave
}

// The multiplexing model: one poller thread waits in epoll_wait for every
// Conn on it; here a poll(2) poller instead of the default epoll.
func Example_multiplex() {
	p, err := multiplex.NewPoller(multiplex.WithBackend(multiplex.Poll))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	a, b := socketpair()
	c1, _ := multiplex.New(a, multiplex.WithPoller(p))
	c2, _ := multiplex.New(b, multiplex.WithPoller(p))
	greet(c1, c2)
	// Output:
	// server got "hello"
	// server saw the client leave
}

// The signal-driven model: the kernel sends a real-time signal naming the
// descriptor when it becomes ready, and a dispatcher thread wakes the Recv.
func Example_sigdriven() {
	a, b := socketpair()
	c1, _ := sigdriven.New(a)
	c2, _ := sigdriven.New(b)
	greet(c1, c2)
	// Output:
	// server got "hello"
	// server saw the client leave
}

// The asynchronous model: a Send or Recv that would wait is handed to
// io_uring, and the kernel reports it done, the copy made (one that can be
// done at once is, with MSG_DONTWAIT). Where io_uring is unavailable, New
// says why.
func Example_async() {
	a, b := socketpair()
	c1, err := async.New(a)
	if err != nil {
		log.Fatal(err) // wraps errors.ErrUnsupported, with the cause and the fix
	}
	c2, _ := async.New(b)
	greet(c1, c2)
	// Output:
	// server got "hello"
	// server saw the client leave
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
