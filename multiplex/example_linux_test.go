package multiplex_test

import (
	"bufio"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// A Conn on the default Poller: New takes a descriptor, the first New
// starts the poller and the last Close stops it.
func ExampleNew() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := multiplex.New(fds[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := multiplex.New(fds[1])
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	go func() {
		// Recv has nothing to read yet: it sleeps until the poller
		// thread sees the fd readable.
		buf := make([]byte, 64)
		n, _ := b.Recv(buf)
		b.Send(buf[:n])
	}()
	a.Send([]byte("ping"))
	buf := make([]byte, 64)
	n, _ := a.Recv(buf)
	fmt.Printf("%s on %v\n", buf[:n], a.Poller().Backend())
	// Output: ping on epoll
}

// Conns on a Poller that waits in select(2): a TCP echo server and its
// client, both waiting the multiplex way (accept on readability, connect
// on writability).
func ExampleNewPoller() {
	p, err := multiplex.NewPoller(multiplex.WithBackend(multiplex.Select))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close() // after the Conns below are closed

	ln, err := multiplex.Listen("tcp", "127.0.0.1:0", multiplex.WithPoller(p))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // the Conn is a net.Conn: echo until the client is done
	}()

	c, err := multiplex.Dial("tcp", ln.Addr().String(), multiplex.WithPoller(p))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, line := range []string{"select(2) watches at most FD_SETSIZE fds\n", "and scans them all on every call\n"} {
		c.Write([]byte(line))
		echo, err := r.ReadString('\n')
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(echo)
	}
	// Output:
	// select(2) watches at most FD_SETSIZE fds
	// and scans them all on every call
}
