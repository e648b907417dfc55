package conntest

import (
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// benchFileSize is the file BenchZeroCopy sends per operation.
const benchFileSize = 32 << 20

// BenchZeroCopy measures io.Copy of a 32 MiB file to a TCP connection
// over loopback, the path of net/http's http.ServeFile (the response
// writer hands the copy to the connection's io.ReaderFrom): package net's
// TCPConn and the model's Conn, each by its ReadFrom (sendfile(2)) and
// through a copy loop (io.Copy with ReadFrom and WriterTo hidden, a 32
// KiB buffer through user space). The receiver is another process, wc(1)
// counting the bytes, the same for all four. MB/s is the copy's
// throughput; cpu-ms/MB is this process's CPU time (user and system,
// from getrusage(2)) per MiB sent: the sender's alone.
func BenchZeroCopy(b *testing.B, nw Network) {
	f, err := os.CreateTemp("", "ctbench*.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close(); os.Remove(f.Name()) })
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for range benchFileSize >> 20 {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	sides := []struct {
		name string
		nw   Network
	}{{"net", netNetwork}, {"model", nw}}
	for _, s := range sides {
		for _, way := range []string{"sendfile", "copy"} {
			b.Run(s.name+"/"+way, func(b *testing.B) {
				c, drained := benchStream(b, s.nw)
				var w io.Writer = c
				if way == "copy" {
					w = struct{ io.Writer }{c} // no ReadFrom: io.Copy loops
				}
				b.SetBytes(benchFileSize)
				b.ReportAllocs()
				before := cpuTime(b)
				b.ResetTimer()
				for range b.N {
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						b.Fatal(err)
					}
					var r io.Reader = f
					if way == "copy" {
						r = struct{ io.Reader }{f} // no WriterTo either
					}
					if n, err := io.Copy(w, r); err != nil || n != benchFileSize {
						b.Fatalf("io.Copy = %d, %v; want %d", n, err, benchFileSize)
					}
				}
				c.Close()
				if got := <-drained; got != int64(b.N)*benchFileSize {
					b.Fatalf("the receiver read %d bytes, want %d", got, int64(b.N)*benchFileSize)
				}
				b.StopTimer()
				mb := float64(b.N) * benchFileSize / (1 << 20)
				b.ReportMetric(float64(cpuTime(b)-before)/float64(time.Millisecond)/mb, "cpu-ms/MB")
			})
		}
	}
}

// benchStream dials a listener of package net's through nw, and hands
// the accepted side to another process, wc(1), which counts what arrives
// (so that the receiver's CPU is not this process's); drained gets the
// count when the sender closes.
func benchStream(b *testing.B, nw Network) (c io.WriteCloser, drained <-chan int64) {
	b.Helper()
	wcPath, err := exec.LookPath("wc")
	if err != nil {
		b.Skipf("the receiving process is wc(1): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	d, err := nw.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	peer, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	pf, err := peer.(*net.TCPConn).File()
	peer.Close()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(wcPath, "-c")
	cmd.Stdin = pf
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		pf.Close()
		b.Fatal(err)
	}
	pf.Close()
	done := make(chan int64, 1)
	go func() {
		if err := cmd.Wait(); err != nil {
			done <- -1
			return
		}
		n, err := strconv.ParseInt(strings.TrimSpace(out.String()), 10, 64)
		if err != nil {
			n = -1
		}
		done <- n
	}()
	wc, ok := unwrap(d).(io.WriteCloser)
	if !ok {
		b.Fatalf("%T is not an io.WriteCloser", d)
	}
	return wc, done
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
