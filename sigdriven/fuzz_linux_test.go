package sigdriven

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzStream sends data in pieces of the fuzzed sizes through a pair of
// Conns on a stream socketpair, with a reader that reads in other pieces,
// and checks the bytes arrive whole and in order.
func FuzzStream(f *testing.F) {
	f.Add([]byte("hello, signal"), uint16(3), uint16(5))
	f.Add(bytes.Repeat([]byte{0xAA, 0x55}, 40000), uint16(65535), uint16(1))
	f.Add([]byte{}, uint16(1), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, sendPiece, recvPiece uint16) {
		if sendPiece == 0 || recvPiece == 0 {
			return
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(fds[0])
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := New(fds[1])
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		sent := make(chan error, 1)
		go func() {
			for off := 0; off < len(data); off += int(sendPiece) {
				end := min(off+int(sendPiece), len(data))
				if _, err := a.Send(data[off:end]); err != nil {
					sent <- err
					return
				}
			}
			sent <- a.Close()
		}()
		var got []byte
		buf := make([]byte, recvPiece)
		for {
			n, err := b.Recv(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break // io.EOF after a.Close, or a failure the comparison shows
			}
		}
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("received %d bytes, sent %d; first difference at %d", len(got), len(data), firstDiff(got, data))
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
