//go:build linux

package benchkit

import (
	"io"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// SendRecver is the part of a Conn the loops use; net.Conn fits through
// NetConn.
type SendRecver interface {
	Send(p []byte) (int, error)
	Recv(p []byte) (int, error)
}

// Socketpair makes an AF_UNIX stream socketpair, close-on-exec and blocking.
func Socketpair(tb testing.TB) (a, b int) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("socketpair: %v", err)
	}
	return fds[0], fds[1]
}

// Echo runs a blocking echo loop on fd on a goroutine locked to its own OS
// thread (the classic thread-per-connection peer) until the other end
// closes; the returned func closes fd after the loop has ended. The fd is
// the echo's: the caller must not close it.
func Echo(tb testing.TB, fd int) (wait func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		buf := make([]byte, 256<<10)
		for {
			n, err := unix.Read(fd, buf)
			if err == unix.EINTR {
				continue
			}
			if n <= 0 || err != nil {
				return
			}
			for off := 0; off < n; {
				k, err := unix.Write(fd, buf[off:n])
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					return
				}
				off += k
			}
		}
	}()
	return func() {
		<-done
		unix.Close(fd)
	}
}

// Raw drives a descriptor with plain blocking unix.Read and unix.Write: the
// floor no model can go under.
type Raw int

// Send writes all of p.
func (r Raw) Send(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Write(int(r), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// Recv reads once.
func (r Raw) Recv(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		if err == unix.EINTR {
			continue
		}
		if n == 0 && err == nil {
			return 0, io.EOF
		}
		return n, err
	}
}

// NetConn wraps fd in the standard library's net.Conn (through os.NewFile
// and net.FileConn, which registers it with the runtime's netpoller): the
// baseline every model is measured against. It takes fd.
func NetConn(tb testing.TB, fd int) net.Conn {
	tb.Helper()
	f := os.NewFile(uintptr(fd), "socketpair")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		tb.Fatalf("net.FileConn: %v", err)
	}
	return c
}

// NetSendRecv adapts a net.Conn to SendRecver.
type NetSendRecv struct{ net.Conn }

// Send writes p.
func (c NetSendRecv) Send(p []byte) (int, error) { return c.Write(p) }

// Recv reads into p.
func (c NetSendRecv) Recv(p []byte) (int, error) { return c.Read(p) }

// RoundTrip measures one message of size bytes out to the echo peer and
// back, per iteration.
func RoundTrip(b *testing.B, c SendRecver, size int) {
	msg := make([]byte, size)
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Send(msg); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < size; {
			n, err := c.Recv(buf[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
}

// Stream measures chunk-sized sends to the echo peer, reading the echo back
// on a second goroutine so the pipe stays full both ways.
func Stream(b *testing.B, c SendRecver, chunk int) {
	msg := make([]byte, chunk)
	b.SetBytes(int64(chunk))
	b.ReportAllocs()
	total := int64(b.N) * int64(chunk)
	done := make(chan error, 1)
	b.ResetTimer()
	go func() {
		buf := make([]byte, chunk)
		var got int64
		for got < total {
			n, err := c.Recv(buf)
			if err != nil {
				done <- err
				return
			}
			got += int64(n)
		}
		done <- nil
	}()
	for i := 0; i < b.N; i++ {
		if _, err := c.Send(msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
