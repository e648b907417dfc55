package blocking_test

import (
	"bufio"
	"fmt"
	"log"

	"github.com/iomodel/iomodel/blocking"
)

// A TCP echo server and client, each call sleeping in the kernel until it
// is done. The Conns are net.Conns, so bufio works on them as usual.
func Example() {
	l, err := blocking.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.AcceptConn()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Send([]byte("echo: " + line))
	}()

	c, err := blocking.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Send([]byte("hello\n"))
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(reply)
	// Output: echo: hello
}
