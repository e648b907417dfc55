package multiplex_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/iomodel/iomodel/multiplex"
)

// A dialed UDP socket, as net.Dial("udp") gives one: a net.Conn (Read and
// Write go to and come from the peer) and a net.PacketConn at once, which
// libraries such as miekg/dns check to tell a datagram socket from a
// stream. The package-level DialContext returns the same on "udp".
func ExampleDialer_DialPacket() {
	server, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer server.Close()
	server.SetDeadline(time.Now().Add(5 * time.Second))

	var d multiplex.Dialer
	c, err := d.DialPacket(context.Background(), "udp", server.LocalAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var conn net.Conn = c
	_, isPacketConn := conn.(net.PacketConn)
	fmt.Println("a net.PacketConn too:", isPacketConn)
	fmt.Println("RemoteAddr is the server:", c.RemoteAddr().String() == server.LocalAddr().String())

	// Write goes to the server; the server answers where it came from,
	// and Read takes the answer.
	c.Write([]byte("one datagram"))
	buf := make([]byte, 1500)
	n, from, err := server.ReadFrom(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	server.WriteTo(append([]byte("echo: "), buf[:n]...), from)
	if n, err = c.Read(buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", buf[:n])
	// Output:
	// a net.PacketConn too: true
	// RemoteAddr is the server: true
	// echo: one datagram
}
