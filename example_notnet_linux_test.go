package iomodel_test

import (
	"context"
	"fmt"
	"log"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// userTimeout is a Control function that sets TCP_USER_TIMEOUT (how long
// sent data may stay unacknowledged before the kernel drops the
// connection) on a socket before it connects or listens.
func userTimeout(d time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d/time.Millisecond))
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// userTimeoutOf reads TCP_USER_TIMEOUT back from c, in milliseconds.
func userTimeoutOf(c syscall.Conn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		log.Fatal(err)
	}
	var ms int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		ms, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
	}); err != nil {
		log.Fatal(err)
	}
	if serr != nil {
		log.Fatal(serr)
	}
	return ms
}

// grpc-go bounds a dead peer with TCP_USER_TIMEOUT, but sets it only on a
// *net.TCPConn, which a model's Conn is not. ListenConfig.Control and
// Dialer.Control set it on the model's sockets instead (accepted
// connections inherit the listener's): here grpc's defaults, 20 s on the
// server's connections and 5 s on a client with keepalive's Timeout at
// 5 s. Hand the Listener to grpc.Server.Serve and the Dialer's
// DialContext to grpc.WithContextDialer.
func Example_tcpUserTimeout() {
	lc := multiplex.ListenConfig{Control: userTimeout(20 * time.Second)}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan *multiplex.Conn, 1)
	go func() {
		c, err := l.AcceptConn()
		if err != nil {
			log.Fatal(err)
		}
		accepted <- c
	}()

	d := multiplex.Dialer{Control: userTimeout(5 * time.Second)}
	c, err := d.DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()

	fmt.Println("server's connection:", userTimeoutOf(s), "ms")
	fmt.Println("client's connection:", userTimeoutOf(c), "ms")
	// Output:
	// server's connection: 20000 ms
	// client's connection: 5000 ms
}
