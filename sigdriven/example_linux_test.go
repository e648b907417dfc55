package sigdriven_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/sigdriven"
)

// A Conn on each end of a socketpair: Recv sleeps until the kernel's
// signal for its descriptor wakes it.
func Example() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	a, err := sigdriven.New(fds[0])
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := sigdriven.New(fds[1])
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	done := make(chan string)
	go func() {
		buf := make([]byte, 64)
		n, err := b.Recv(buf) // sleeps until a signal names fds[1]
		if err != nil {
			log.Fatal(err)
		}
		done <- string(buf[:n])
	}()
	if _, err := a.Send([]byte("ready, by signal")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-done)
	// Output: ready, by signal
}

// Dial and Listen: the connect completes when the kernel signals POLL_OUT,
// and Accept waits for the listening socket's signal.
func ExampleDial() {
	l, err := sigdriven.Listen("tcp", "127.0.0.1:0")
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
		io.Copy(c, c) // echo
	}()

	c, err := sigdriven.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "echo me")
	buf := make([]byte, 7)
	if _, err := io.ReadFull(c, buf); err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(buf))
	var _ net.Conn = c // a Conn on a socket is a net.Conn
	// Output: echo me
}

// A refused descriptor: the kernel ignores O_ASYNC on regular files, and
// New says which kinds work.
func ExampleNew_regularFile() {
	fd, err := unix.Open("/proc/self/status", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer unix.Close(fd)
	_, err = sigdriven.New(fd)
	fmt.Println(errors.Is(err, sigdriven.ErrNoAsync))
	// Output: true
}

// The signal counters of one Conn: one write to its peer, one real-time
// signal naming it, one precise wake-up (of its read direction only).
func ExampleConn_SignalStats() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer unix.Close(fds[0])
	b, err := sigdriven.New(fds[1])
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	unix.Write(fds[0], []byte("x"))
	// write(2) queued the signal; the dispatcher thread reads it soon.
	for b.SignalStats().Signals == 0 {
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 8)
	n, err := b.Recv(buf)
	if err != nil {
		log.Fatal(err)
	}
	st := b.SignalStats()
	fmt.Printf("%s: %d signal, %d precise wake-up, %d broadcast\n", buf[:n], st.Signals, st.Precise, st.Broadcast)
	// Output: x: 1 signal, 1 precise wake-up, 0 broadcast
}

// Broadcast mode: plain SIGIO names no descriptor, so a message for one
// Conn wakes the others too; each retries and finds nothing. This is the
// thundering herd that the default mode's si_fd avoids.
func ExampleWithBroadcast() {
	var peers []int
	var conns []*sigdriven.Conn
	for i := 0; i < 2; i++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			log.Fatal(err)
		}
		c, err := sigdriven.New(fds[1], sigdriven.WithBroadcast())
		if err != nil {
			log.Fatal(err)
		}
		defer unix.Close(fds[0])
		defer c.Close()
		peers, conns = append(peers, fds[0]), append(conns, c)
	}
	unix.Write(peers[0], []byte("for conn 0 only"))
	// The SIGIO reaches the process asynchronously.
	for conns[1].SignalStats().Broadcast == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("conn 1 woken by conn 0's message:", conns[1].SignalStats().Broadcast > 0)
	// Output: conn 1 woken by conn 0's message: true
}
