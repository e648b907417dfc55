package conntest

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel behaviours some checks rely on, probed with raw system calls
// on a socketpair, so that a check skips with what was found where the
// kernel, or an emulator such as qemu-user, does otherwise.

// skipUnlessEmptySendmsg skips t unless an empty datagram sent by
// sendmsg(2) to an address arrives (qemu-user drops it).
func skipUnlessEmptySendmsg(t *testing.T) {
	t.Helper()
	var fds [2]int
	for i := range fds {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		fds[i] = fd
	}
	to, err := unix.Getsockname(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Sendmsg(fds[0], nil, nil, to, 0); err != nil {
		t.Skipf("sendmsg(2) of an empty datagram fails here: %v", err)
	}
	// Loopback delivers at once; a moment's grace for a slow emulator.
	for range 50 {
		if _, _, err := unix.Recvfrom(fds[1], make([]byte, 8), unix.MSG_DONTWAIT); err == nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Skip("an empty datagram sent by sendmsg(2) to an address does not arrive here: this kernel or emulator (qemu-user does) drops it")
}

// skipUnlessCtrunc skips t unless recvmsg(2) reports MSG_CTRUNC for a
// control message that does not fit.
func skipUnlessCtrunc(t *testing.T) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if err := unix.Sendmsg(fds[0], []byte("x"), unix.UnixRights(fds[0], fds[0], fds[0]), nil, 0); err != nil {
		t.Skipf("sendmsg(2) with SCM_RIGHTS fails here: %v", err)
	}
	oob := make([]byte, unix.CmsgLen(4))
	_, oobn, flags, _, err := unix.Recvmsg(fds[1], make([]byte, 8), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		t.Skipf("recvmsg(2) with SCM_RIGHTS fails here: %v", err)
	}
	if msgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
		for _, m := range msgs {
			if rights, err := unix.ParseUnixRights(&m); err == nil {
				for _, fd := range rights {
					unix.Close(fd)
				}
			}
		}
	}
	if flags&unix.MSG_CTRUNC == 0 {
		t.Skipf("recvmsg(2) with room for one descriptor of three reports no MSG_CTRUNC here (flags %#x, oobn %d): this kernel or emulator does not truncate as Linux does", flags, oobn)
	}
}
