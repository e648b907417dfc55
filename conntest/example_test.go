//go:build linux

package conntest_test

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/iomodel/iomodel/conntest"
)

// myConn stands for another implementation of iomodel.Conn: here package
// net's connection behind Send and Recv.
type myConn struct{ net.Conn }

func (c myConn) Send(p []byte) (int, error) { return c.Write(p) }
func (c myConn) Recv(p []byte) (int, error) { return c.Read(p) }

// makePipe is what the suite needs: a fresh connected pair for each case,
// here over a Unix socketpair.
func makePipe() (conntest.Pipe, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return conntest.Pipe{}, err
	}
	var c [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c[i], err = net.FileConn(f) // a descriptor of its own
		f.Close()
		if err != nil {
			if i == 1 {
				c[0].Close()
			}
			return conntest.Pipe{}, err
		}
	}
	return conntest.Pipe{A: myConn{c[0]}, B: myConn{c[1]}}, nil
}

// Running the conformance suite on a Conn of one's own: give it a MakePipe,
// and say in Traits what the pair is. In a _test.go file:
//
//	func TestMyConn(t *testing.T) {
//		conntest.Run(t, makePipe, conntest.Traits{})
//	}
//
// Run then has one subtest per rule of the contract, each under a watchdog.
// Here the pair the suite would get is tried by hand.
func Example() {
	var mp conntest.MakePipe = makePipe
	p, err := mp()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.A.Close()
	defer p.B.Close()
	go p.A.Send([]byte("hello"))
	buf := make([]byte, 8)
	n, err := p.B.Recv(buf)
	fmt.Printf("%q %v\n", buf[:n], err)
	// Output: "hello" <nil>
}
