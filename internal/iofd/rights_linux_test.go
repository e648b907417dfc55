package iofd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(es)
}

// unixConnPair is a connected pair of unix stream conns: ours on both
// ends, and net's on both ends, for the control.
type msgUnix interface {
	ReadMsgUnix(p, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
	WriteMsgUnix(p, oob []byte, addr *net.UnixAddr) (n, oobn int, err error)
	Close() error
}

func unixPairs(t *testing.T, m mode, sotype int) [][2]msgUnix {
	t.Helper()
	a, b := socketpair(t, sotype)
	fa, err := New(a, m.cfg())
	if err != nil {
		t.Fatal(err)
	}
	fb, err := New(b, m.cfg())
	if err != nil {
		t.Fatal(err)
	}
	c, d := socketpair(t, sotype)
	nc := netUnix(t, c)
	nd := netUnix(t, d)
	t.Cleanup(func() { fa.Close(); fb.Close(); nc.Close(); nd.Close() })
	return [][2]msgUnix{{fa, fb}, {nc, nd}}
}

func netUnix(t *testing.T, s int) *net.UnixConn {
	f := os.NewFile(uintptr(s), "pair")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.UnixConn)
}

func TestSCMRightsAgainstNet(t *testing.T) {
	for _, m := range modes {
		for _, sotype := range []int{unix.SOCK_STREAM, unix.SOCK_DGRAM} {
			t.Run(fmt.Sprintf("%s/%d", m.name, sotype), func(t *testing.T) {
				for _, pair := range unixPairs(t, m, sotype) {
					name := fmt.Sprintf("%T", pair[0])
					// An open file and a socket go across.
					f, err := os.CreateTemp(t.TempDir(), "rights")
					if err != nil {
						t.Fatal(err)
					}
					f.WriteString("file content")
					s1, s2 := socketpair(t, unix.SOCK_STREAM)
					oob := unix.UnixRights(int(f.Fd()), s1)
					if n, oobn, err := pair[0].WriteMsgUnix([]byte("x"), oob, nil); n != 1 || oobn != len(oob) || err != nil {
						t.Fatalf("%s: WriteMsgUnix = %d, %d, %v", name, n, oobn, err)
					}
					f.Close()
					unix.Close(s1)
					buf, rb := make([]byte, 8), make([]byte, unix.CmsgSpace(2*4))
					n, oobn, flags, _, err := pair[1].ReadMsgUnix(buf, rb)
					if err != nil || n != 1 || flags&unix.MSG_CTRUNC != 0 {
						t.Fatalf("%s: ReadMsgUnix = %d, %d, %#x, %v", name, n, oobn, flags, err)
					}
					msgs, err := unix.ParseSocketControlMessage(rb[:oobn])
					if err != nil || len(msgs) != 1 {
						t.Fatalf("%s: control: %v, %v", name, msgs, err)
					}
					fds, err := unix.ParseUnixRights(&msgs[0])
					if err != nil || len(fds) != 2 {
						t.Fatalf("%s: rights %v, %v", name, fds, err)
					}
					if fl, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
						t.Errorf("%s: a received descriptor is not close-on-exec", name)
					}
					// Use both on this side.
					got := make([]byte, 32)
					if n, err := unix.Pread(fds[0], got, 0); err != nil || string(got[:n]) != "file content" {
						t.Errorf("%s: the passed file reads %q, %v", name, got[:n], err)
					}
					if _, err := unix.Write(fds[1], []byte("via socket")); err != nil {
						t.Fatal(err)
					}
					if n, err := unix.Read(s2, got); err != nil || string(got[:n]) != "via socket" {
						t.Errorf("%s: the passed socket's peer reads %q, %v", name, got[:n], err)
					}
					unix.Close(fds[0])
					unix.Close(fds[1])
					unix.Close(s2)
				}
			})
		}
	}
}

// TestSCMRightsTruncated: a control buffer with room for one of two
// descriptors gives MSG_CTRUNC and hands the caller the descriptor that
// fit, open and close-on-exec, as net's does (the one that did not fit the
// kernel closes); once the caller closes it, nothing is left open.
func TestSCMRightsTruncated(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			pairs := unixPairs(t, m, unix.SOCK_DGRAM)
			// net's control first: where it gets no MSG_CTRUNC either, the
			// kernel under the test is not the one it asks (qemu-user
			// gives the host a control buffer larger than the guest's).
			pairs[0], pairs[1] = pairs[1], pairs[0]
			handed := [2]int{}
			for j, pair := range pairs {
				i := 1 - j // 0: ours
				s1, s2 := socketpair(t, unix.SOCK_STREAM)
				before := openFDs(t)
				if _, _, err := pair[0].WriteMsgUnix([]byte("x"), unix.UnixRights(s1, s2), nil); err != nil {
					t.Fatal(err)
				}
				small := make([]byte, unix.CmsgLen(4)) // room for one
				_, oobn, flags, _, err := pair[1].ReadMsgUnix(make([]byte, 4), small)
				if i == 1 && err == nil && flags&unix.MSG_CTRUNC == 0 {
					t.Skipf("net's control got no MSG_CTRUNC from a control buffer too small (flags %#x): the kernel does not see the caller's buffer (an emulator's)", flags)
				}
				if err != nil || flags&unix.MSG_CTRUNC == 0 {
					t.Fatalf("%T: ReadMsgUnix with a small buffer: flags %#x, %v; want MSG_CTRUNC", pair[1], flags, err)
				}
				msgs, _ := unix.ParseSocketControlMessage(small[:oobn])
				for _, msg := range msgs {
					fds, _ := unix.ParseUnixRights(&msg)
					for _, fd := range fds {
						flag, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
						if err != nil || flag&unix.FD_CLOEXEC == 0 {
							t.Errorf("%T: descriptor %d handed over: F_GETFD = %#x, %v; want open and close-on-exec", pair[1], fd, flag, err)
						}
						handed[i]++
						unix.Close(fd) // the caller's to close
					}
				}
				if after := openFDs(t); after != before {
					t.Errorf("%T: descriptors open: %d before, %d after a truncated receive and closing what it handed over", pair[1], before, after)
				}
				unix.Close(s1)
				unix.Close(s2)
			}
			if handed[0] != handed[1] {
				t.Errorf("a truncated receive handed over %d descriptors; net's handed %d", handed[0], handed[1])
			}
		})
	}
}

func TestSCMRightsClosedDescriptor(t *testing.T) {
	pairs := unixPairs(t, modes[0], unix.SOCK_STREAM)
	s1, s2 := socketpair(t, unix.SOCK_STREAM)
	unix.Close(s2)
	defer unix.Close(s1)
	for i, pair := range pairs {
		_, _, err := pair[0].WriteMsgUnix([]byte("x"), unix.UnixRights(s1, s2), nil)
		var oe *net.OpError
		if !errors.Is(err, unix.EBADF) || !errors.As(err, &oe) {
			t.Errorf("%T: SCM_RIGHTS with a closed descriptor: %v; want EBADF", pair[0], err)
		}
		if i == 0 && !strings.Contains(err.Error(), fmt.Sprintf("descriptor %d is not open", s2)) {
			t.Errorf("SCM_RIGHTS with a closed descriptor: %v; want it named", err)
		}
	}
}

// TestReadMsgUnixEOF: the end of a stream is io.EOF in an OpError, as
// net's; an empty p with rights reads the byte that carried them.
func TestReadMsgUnixStream(t *testing.T) {
	for _, pair := range unixPairs(t, modes[0], unix.SOCK_STREAM) {
		s1, s2 := socketpair(t, unix.SOCK_STREAM)
		if n, _, err := pair[0].WriteMsgUnix(nil, unix.UnixRights(s1), nil); n != 0 || err != nil {
			t.Fatalf("%T: WriteMsgUnix(nil, rights) = %d, %v", pair[0], n, err)
		}
		oob := make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := pair[1].ReadMsgUnix(nil, oob)
		// net's reports the byte it read into no buffer (n == 1); ours
		// reports what went into p.
		if _, ok := pair[1].(*FD); ok && n != 0 || oobn == 0 || err != nil {
			t.Fatalf("%T: ReadMsgUnix(nil, oob) = %d, %d, %v", pair[1], n, oobn, err)
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		fds, _ := unix.ParseUnixRights(&msgs[0])
		unix.Close(fds[0])
		unix.Close(s1)
		unix.Close(s2)
		if c, ok := pair[0].(interface{ CloseWrite() error }); ok {
			c.CloseWrite()
		}
		_, _, _, _, err = pair[1].ReadMsgUnix(make([]byte, 4), nil)
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Err.Error() != "EOF" {
			t.Errorf("%T: ReadMsgUnix at the end: %v; want EOF in an OpError", pair[1], err)
		}
	}
}
