package sigdriven

import (
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestKinds: the kinds of descriptor the refusal message promises work
// beyond sockets and pipes: a FIFO and a terminal (a pty master).
func TestKinds(t *testing.T) {
	t.Run("fifo", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fifo")
		if err := unix.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		// O_RDWR: opening a FIFO for reading alone would wait for a writer.
		r, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		w, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(r)
			t.Fatal(err)
		}
		defer unix.Close(w)
		roundTrip(t, r, w)
	})
	t.Run("tty", func(t *testing.T) {
		m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Skipf("no pseudo-terminal: open /dev/ptmx: %v", err)
		}
		if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
			unix.Close(m)
			t.Fatal(err)
		}
		n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
		if err != nil {
			unix.Close(m)
			t.Fatal(err)
		}
		s, err := unix.Open("/dev/pts/"+strconv.Itoa(n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(m)
			t.Skipf("cannot open the pty's other end: %v", err)
		}
		defer unix.Close(s)
		// Raw mode on the terminal end, so bytes pass as they are.
		tio, err := unix.IoctlGetTermios(s, unix.TCGETS)
		if err != nil {
			unix.Close(m)
			t.Fatal(err)
		}
		tio.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
		tio.Oflag &^= unix.OPOST
		tio.Iflag &^= unix.ICRNL | unix.IXON
		if err := unix.IoctlSetTermios(s, unix.TCSETS, tio); err != nil {
			unix.Close(m)
			t.Fatal(err)
		}
		roundTrip(t, m, s)
	})
}

// roundTrip wraps r in a Conn (which takes it) and checks that a Recv
// asleep on it is woken by a write to w.
func roundTrip(t *testing.T, r, w int) {
	t.Helper()
	c, err := New(r)
	if err != nil {
		unix.Close(r)
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 16)
		n, err := c.Recv(buf)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(buf[:n])
	}()
	// Let the Recv fall asleep, so that only a signal can wake it.
	for deadline := time.Now().Add(10 * time.Second); c.Stats().Read.Waits == 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("Recv never went to sleep")
		}
	}
	if _, err := unix.Write(w, []byte("signal")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "signal" {
		t.Fatalf("Recv: %q", s)
	}
	if st := c.SignalStats(); st.Signals == 0 || st.Precise == 0 {
		t.Errorf("signal stats %+v: the sleeping Recv was not woken by a signal naming its descriptor", st)
	}
}
