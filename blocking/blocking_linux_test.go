package blocking_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/blocking"
)

// TestNewClearsNonblock: New puts the descriptor in blocking mode.
func TestNewClearsNonblock(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	c, err := blocking.New(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if fl, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Error("blocking.New left O_NONBLOCK set")
	}
}

// TestPipeDeadlinesAndClose: a pipe has no deadlines (os.ErrNoDeadline),
// and a Recv sleeping on a pipe keeps the descriptor open after Close
// until it returns by itself: the number is never reused under it.
func TestPipeDeadlinesAndClose(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	r, err := blocking.New(p[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetReadDeadline(time.Now()); !errors.Is(err, os.ErrNoDeadline) {
		t.Errorf("SetReadDeadline on a pipe: %v, want os.ErrNoDeadline", err)
	}
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 8)
		n, err := r.Recv(buf)
		got <- string(buf[:n]) + errString(err)
	}()
	// Let the Recv reach read(2); if it has not yet, it fails with
	// net.ErrClosed below instead, and the test says so.
	for r.Stats().Read.Calls == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	r.Close()
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0); err != nil {
		t.Fatalf("the pipe was closed under a sleeping Recv: %v", err)
	}
	unix.Write(p[1], []byte("wake"))
	if s := <-got; s != "wake" {
		t.Fatalf("the sleeping Recv returned %q, want \"wake\"", s)
	}
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0); err != unix.EBADF {
		t.Errorf("after the last call returned, the pipe is still open (fcntl: %v)", err)
	}
}

func errString(err error) string {
	if err != nil {
		return " error: " + err.Error()
	}
	return ""
}

// TestRegularFile: a regular file works in the blocking model, with the
// file's own offset (shared by Send and Recv, as with read(2)/write(2)).
func TestRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c, err := blocking.New(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send([]byte("on disk")); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := c.Recv(buf)
	if err != nil || string(buf[:n]) != "on disk" {
		t.Fatalf("Recv = %q, %v", buf[:n], err)
	}
	want := iomodel.Stats{
		Read:  iomodel.DirStats{Calls: 1, Syscalls: 1, Bytes: 7},
		Write: iomodel.DirStats{Calls: 1, Syscalls: 1, Bytes: 7},
	}
	if d := cmp.Diff(want, c.Stats()); d != "" {
		t.Errorf("Stats (-want +got):\n%s", d)
	}
}
