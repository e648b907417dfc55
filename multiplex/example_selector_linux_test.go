package multiplex_test

import (
	"bytes"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// A hand-written event loop on a Selector: an upper-casing echo server for
// several clients on one goroutine. Done right, it reads until EAGAIN, keeps
// what a short write left over and asks for Writable only while something
// is left, and removes an fd from the Selector before closing it.
func ExampleSelector() {
	sel, err := multiplex.NewSelector() // epoll; NewPoll and NewSelect work the same here
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sel.Close()

	type client struct {
		fd  int
		out []byte // echoed bytes a short write left behind
	}
	clients := map[uint64]*client{}
	var peers []int
	for i := range 3 {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			fmt.Println(err)
			return
		}
		clients[uint64(i)] = &client{fd: fds[0]}
		peers = append(peers, fds[1])
		if err := sel.Add(fds[0], multiplex.Readable, uint64(i)); err != nil {
			fmt.Println(err)
			return
		}
	}
	// The clients: each sends a greeting and shuts down its writing side.
	for i, p := range peers {
		unix.Write(p, fmt.Appendf(nil, "hello from client %d", i))
		unix.Shutdown(p, unix.SHUT_WR)
	}

	events := make([]multiplex.Event, 64)
	buf := make([]byte, 4096)
	for len(clients) > 0 {
		n, err := sel.Wait(events, 5*time.Second)
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			fmt.Println("timed out")
			return
		}
		for _, ev := range events[:n] {
			c := clients[ev.Tag]
			eof := false
			if ev.Events&multiplex.Readable != 0 {
				for { // read until EAGAIN: the fd is drained
					m, err := unix.Read(c.fd, buf)
					if err == unix.EINTR {
						continue
					}
					if err == unix.EAGAIN {
						break
					}
					if err != nil || m == 0 {
						eof = true
						break
					}
					c.out = append(c.out, bytes.ToUpper(buf[:m])...)
				}
			}
			for len(c.out) > 0 { // write what we can
				m, err := unix.Write(c.fd, c.out)
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					break // EAGAIN: wait for Writable
				}
				c.out = c.out[m:]
			}
			switch {
			case eof && len(c.out) == 0:
				sel.Remove(c.fd) // before close(2)
				unix.Close(c.fd)
				delete(clients, ev.Tag)
			case len(c.out) > 0:
				sel.Modify(c.fd, multiplex.Readable|multiplex.Writable, ev.Tag)
			default:
				sel.Modify(c.fd, multiplex.Readable, ev.Tag)
			}
		}
	}

	for _, p := range peers {
		m, _ := unix.Read(p, buf)
		fmt.Printf("%s\n", buf[:m])
		unix.Close(p)
	}
	// Output:
	// HELLO FROM CLIENT 0
	// HELLO FROM CLIENT 1
	// HELLO FROM CLIENT 2
}
