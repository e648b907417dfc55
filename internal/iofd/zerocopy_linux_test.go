package iofd

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpPair is our FD on one end of a TCP connection, net's conn on the
// other.
func tcpPair(t *testing.T, m mode) (*FD, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.(*net.TCPConn).File()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := New(s, m.cfg())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close(); peer.Close() })
	return fd, peer
}

func randomFile(t *testing.T, size int) (*os.File, [32]byte) {
	t.Helper()
	data := make([]byte, size)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(data)
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, sha256.Sum256(data)
}

// drain reads peer to its end in the background and reports the hash and
// count of what came.
func drain(peer net.Conn) <-chan [2]any {
	ch := make(chan [2]any, 1)
	go func() {
		h := sha256.New()
		n, err := io.Copy(h, peer)
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		if err != nil {
			n = -1
		}
		ch <- [2]any{sum, n}
	}()
	return ch
}

func TestSendFile16MiB(t *testing.T) {
	const size = 16 << 20
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, peer := tcpPair(t, m)
			f, sum := randomFile(t, size)
			got := drain(peer)
			n, handled, err := fd.SendFile(f)
			if err != nil || !handled || n != size {
				t.Fatalf("SendFile = %d, %v, %v; want %d, true, nil", n, handled, err, size)
			}
			fd.CloseWrite()
			r := <-got
			if r[0].([32]byte) != sum || r[1].(int64) != size {
				t.Fatalf("the peer got %d bytes, hash match %v", r[1], r[0].([32]byte) == sum)
			}
			sf, sp, cp := fd.ZeroCopyStats()
			if sf != size || sp != 0 || cp != 0 {
				t.Errorf("ZeroCopyStats = %d, %d, %d; want all by sendfile", sf, sp, cp)
			}
			if _, ok := m.cfg().Driver.(*skipDriver); ok && fd.Write.Stats().Syscalls == 0 {
				t.Errorf("no system call counted")
			}
		})
	}
}

func TestSendFileLimited(t *testing.T) {
	fd, peer := tcpPair(t, modes[0])
	f, _ := randomFile(t, 1<<20)
	got := drain(peer)
	lr := &io.LimitedReader{R: f, N: 1000}
	n, handled, err := fd.SendFile(lr)
	if n != 1000 || !handled || err != nil || lr.N != 0 {
		t.Fatalf("SendFile(LimitedReader 1000) = %d, %v, %v, N left %d", n, handled, err, lr.N)
	}
	if off, _ := f.Seek(0, io.SeekCurrent); off != 1000 {
		t.Errorf("the file offset is %d after, want 1000", off)
	}
	fd.CloseWrite()
	if r := <-got; r[1].(int64) != 1000 {
		t.Errorf("the peer got %d bytes", r[1])
	}
	// Not a file: not handled, nothing read; the generic copy does it.
	src := bytes.NewReader([]byte("copied"))
	if n, handled, err := fd.SendFile(src); handled || n != 0 || err != nil || src.Len() != 6 {
		t.Fatalf("SendFile(bytes.Reader) = %d, %v, %v", n, handled, err)
	}
}

func TestReadFromGeneric(t *testing.T) {
	fd, peer := tcpPair(t, modes[0])
	got := drain(peer)
	data := bytes.Repeat([]byte("abc"), 100000)
	if n, err := fd.ReadFromGeneric(bytes.NewReader(data)); n != int64(len(data)) || err != nil {
		t.Fatalf("ReadFromGeneric = %d, %v", n, err)
	}
	fd.CloseWrite()
	if r := <-got; r[0].([32]byte) != sha256.Sum256(data) {
		t.Fatal("the peer got other bytes")
	}
	if _, _, cp := fd.ZeroCopyStats(); cp != uint64(len(data)) {
		t.Errorf("copied = %d, want %d", cp, len(data))
	}
}

func TestSpliceFromPipeAndSocket(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, peer := tcpPair(t, m)
			data := make([]byte, 3<<20)
			rand.NewChaCha8([32]byte{2}).Read(data)
			got := drain(peer)
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go func() { pw.Write(data); pw.Close() }()
			n, handled, err := fd.SendFile(pr)
			pr.Close()
			if n != int64(len(data)) || !handled || err != nil {
				t.Fatalf("SendFile(pipe) = %d, %v, %v", n, handled, err)
			}
			// And from a socket: net's TCP conn.
			netSrc, netDst := netTCPPair(t)
			go func() { netDst.Write(data); netDst.Close() }()
			n, handled, err = fd.SendFile(netSrc)
			if n != int64(len(data)) || !handled || err != nil {
				t.Fatalf("SendFile(TCPConn) = %d, %v, %v", n, handled, err)
			}
			fd.CloseWrite()
			r := <-got
			want := sha256.Sum256(append(append([]byte(nil), data...), data...))
			if r[0].([32]byte) != want {
				t.Fatalf("the peer got %d bytes, not what was spliced", r[1])
			}
			if _, sp, _ := fd.ZeroCopyStats(); sp != 2*uint64(len(data)) {
				t.Errorf("spliced = %d, want %d", sp, 2*len(data))
			}
		})
	}
}

func netTCPPair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	d, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); d.Close() })
	return c, d
}

func TestSpliceTo(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, peer := tcpPair(t, m)
			data := make([]byte, 2<<20)
			rand.NewChaCha8([32]byte{3}).Read(data)
			go func() { peer.Write(data); peer.(*net.TCPConn).CloseWrite() }()
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			got := make(chan []byte)
			go func() { b, _ := io.ReadAll(pr); got <- b }()
			n, handled, err := fd.SpliceTo(pw)
			pw.Close()
			if n != int64(len(data)) || !handled || err != nil {
				t.Fatalf("SpliceTo(pipe) = %d, %v, %v", n, handled, err)
			}
			if b := <-got; !bytes.Equal(b, data) {
				t.Fatalf("the pipe got %d bytes, not what was sent", len(b))
			}
			if _, handled, _ := fd.SpliceTo(&bytes.Buffer{}); handled {
				t.Error("SpliceTo(bytes.Buffer) handled")
			}
		})
	}
}

// TestSendFileDeadline: a sendfile that waits for room ends at the write
// deadline, with a timeout error.
func TestSendFileDeadline(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, _ := tcpPair(t, m) // the peer never reads
			f, _ := randomFile(t, 16<<20)
			fd.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			n, handled, err := fd.SendFile(f)
			if !handled || !errors.Is(err, os.ErrDeadlineExceeded) || n >= 16<<20 {
				t.Fatalf("SendFile to a peer that does not read = %d, %v, %v; want a timeout", n, handled, err)
			}
		})
	}
}

func TestWritev(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, peer := tcpPair(t, m)
			got := drain(peer)
			var bufs [][]byte
			var all []byte
			for i := 0; i < 3000; i++ { // more than IOV_MAX
				b := bytes.Repeat([]byte{byte(i)}, i%7)
				bufs = append(bufs, b)
				all = append(all, b...)
			}
			bufs = append(bufs, make([]byte, 4<<20)) // a short write or two
			all = append(all, make([]byte, 4<<20)...)
			n, err := fd.Writev(bufs)
			if n != int64(len(all)) || err != nil {
				t.Fatalf("Writev = %d, %v; want %d", n, err, len(all))
			}
			fd.CloseWrite()
			if r := <-got; r[0].([32]byte) != sha256.Sum256(all) {
				t.Fatalf("the peer got %d bytes, not the buffers in order", r[1])
			}
		})
	}
	// A datagram socket: the buffers are one message.
	a, b := socketpair(t, unix.SOCK_DGRAM)
	defer unix.Close(b)
	fd, err := New(a, modes[0].cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if n, err := fd.Writev([][]byte{[]byte("one "), nil, []byte("message")}); n != 11 || err != nil {
		t.Fatalf("Writev on a datagram socket = %d, %v", n, err)
	}
	buf := make([]byte, 64)
	if n, _ := unix.Read(b, buf); string(buf[:n]) != "one message" {
		t.Fatalf("the datagram is %q", buf[:n])
	}
	// A pipe: writev(2).
	pr, pw, _ := os.Pipe()
	defer pr.Close()
	d, _ := unix.Dup(int(pw.Fd()))
	pw.Close()
	wfd, err := New(d, modes[0].cfg())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := wfd.Writev([][]byte{[]byte("pi"), []byte("pe")}); n != 4 || err != nil {
		t.Fatalf("Writev on a pipe = %d, %v", n, err)
	}
	wfd.Close()
	if n, _ := pr.Read(buf); string(buf[:n]) != "pipe" {
		t.Fatalf("the pipe has %q", buf[:n])
	}
}
