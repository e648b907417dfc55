package multiplex_test

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// A UDP echo server on ListenPacket: a PacketConn has *net.UDPConn's
// methods, here ReadFrom and WriteTo; the client is package net's.
func ExampleListenPacket() {
	pc, err := multiplex.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			pc.WriteTo(buf[:n], from)
		}
	}()

	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("one datagram"))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", buf[:n])
	// Output: one datagram
}

// Passing a descriptor over a Unix socket (SCM_RIGHTS): the receiver gets
// its own descriptor of the same open file, close-on-exec, and owns it.
func ExampleConn_WriteMsgUnix() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := multiplex.New(fds[0])
	b, _ := multiplex.New(fds[1])
	defer a.Close()
	defer b.Close()

	f, err := os.CreateTemp("", "passed")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	f.WriteString("written before passing")
	if _, _, err := a.WriteMsgUnix([]byte("x"), syscall.UnixRights(int(f.Fd())), nil); err != nil {
		fmt.Println(err)
		return
	}
	f.Close() // the receiver's descriptor keeps the file open

	oob := make([]byte, syscall.CmsgSpace(4)) // room for one descriptor
	_, oobn, _, _, err := b.ReadMsgUnix(make([]byte, 1), oob)
	if err != nil {
		fmt.Println(err)
		return
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	got, _ := syscall.ParseUnixRights(&msgs[0])
	passed := os.NewFile(uintptr(got[0]), "passed") // ours to close
	defer passed.Close()
	buf := make([]byte, 64)
	n, _ := passed.ReadAt(buf, 0)
	fmt.Printf("%s\n", buf[:n])
	// Output: written before passing
}

// A Selector event loop that accepts: the listening socket is one more
// descriptor in the set, and a new connection joins it when accepted.
func ExampleSelector_accept() {
	sel, err := multiplex.NewSelector()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sel.Close()
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Close(lfd)
	unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(lfd, 128)
	sa, _ := unix.Getsockname(lfd)
	port := sa.(*unix.SockaddrInet4).Port

	const listenerTag = 0
	sel.Add(lfd, multiplex.Readable, listenerTag)
	conns := map[uint64]int{} // tag -> fd
	done := make(chan string)
	go func() { // a client, with package net
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			done <- err.Error()
			return
		}
		defer c.Close()
		c.Write([]byte("hello"))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		done <- string(buf[:n])
	}()

	events := make([]multiplex.Event, 16)
	buf := make([]byte, 4096)
	for served := false; !served; {
		n, err := sel.Wait(events, 5*time.Second)
		if err != nil || n == 0 {
			fmt.Println("no event:", err)
			return
		}
		for _, ev := range events[:n] {
			if ev.Tag == listenerTag {
				for { // accept until EAGAIN
					nfd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
					if err != nil {
						break
					}
					tag := uint64(nfd) + 1
					conns[tag] = nfd
					sel.Add(nfd, multiplex.Readable, tag)
				}
				continue
			}
			fd := conns[ev.Tag]
			m, err := unix.Read(fd, buf)
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if m > 0 {
				unix.Write(fd, append([]byte("echo: "), buf[:m]...))
			}
			sel.Remove(fd) // one message per client here; Remove before close(2)
			unix.Close(fd)
			delete(conns, ev.Tag)
			served = true
		}
	}
	fmt.Println(<-done)
	// Output: echo: hello
}
