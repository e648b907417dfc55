package uring

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// requireOp skips the test when the kernel's io_uring lacks op, as the
// probe reported it on this run.
func requireOp(t *testing.T, r *Ring, op uint8) {
	t.Helper()
	if !r.Supports(op) {
		t.Skipf("IORING_REGISTER_PROBE does not report IORING_OP_%s on this kernel", opNames[op])
	}
}

// msghdr lays out a msghdr with one iovec over p, room for a name, and oob.
func msghdr(p, oob []byte, name *unix.RawSockaddrAny, namelen uint32) (*unix.Msghdr, *unix.Iovec) {
	m, v := new(unix.Msghdr), new(unix.Iovec)
	if len(p) > 0 {
		v.Base = &p[0]
		v.SetLen(len(p))
		m.Iov = v
		m.SetIovlen(1)
	}
	if name != nil {
		m.Name = (*byte)(unsafe.Pointer(name))
		m.Namelen = namelen
	}
	if len(oob) > 0 {
		m.Control = &oob[0]
		m.SetControllen(len(oob))
	}
	return m, v
}

// TestRecvMsgSendMsg: a datagram goes out with SENDMSG to a named socket
// and comes back with RECVMSG, with the sender's address, a descriptor
// (SCM_RIGHTS) in the control buffer, and msg_flags (MSG_TRUNC for a
// datagram larger than the buffer) written back into the caller's msghdr.
func TestRecvMsgSendMsg(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_RECVMSG)
	requireOp(t, r, IORING_OP_SENDMSG)
	dir := t.TempDir()
	bind := func(name string) (int, *unix.SockaddrUnix) {
		s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(s) })
		sa := &unix.SockaddrUnix{Name: dir + "/" + name}
		if err := unix.Bind(s, sa); err != nil {
			t.Fatal(err)
		}
		return s, sa
	}
	a, _ := bind("a")
	b, bsa := bind("b")

	// The destination, as the kernel reads it.
	var dst unix.RawSockaddrAny
	du := (*unix.RawSockaddrUnix)(unsafe.Pointer(&dst))
	du.Family = unix.AF_UNIX
	for i := range len(bsa.Name) {
		du.Path[i] = int8(bsa.Name[i])
	}
	dstLen := uint32(2 + len(bsa.Name) + 1)

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	payload := []byte("hello, ring")
	oob := unix.UnixRights(p[1])
	sm, _ := msghdr(payload, oob, &dst, dstLen)
	var send Req
	send.PrepSendMsg(a, unsafe.Pointer(sm), unix.MSG_NOSIGNAL)
	if err := r.Submit(&send); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &send); int(res) != len(payload) {
		t.Fatalf("SENDMSG res = %d, want %d", res, len(payload))
	}

	buf := make([]byte, 5) // smaller than the datagram: MSG_TRUNC
	roob := make([]byte, unix.CmsgSpace(4))
	var from unix.RawSockaddrAny
	rm, _ := msghdr(buf, roob, &from, unix.SizeofSockaddrAny)
	var recv Req
	recv.PrepRecvMsg(b, unsafe.Pointer(rm), unix.MSG_CMSG_CLOEXEC)
	if err := r.Submit(&recv); err != nil {
		t.Fatal(err)
	}
	res, _ := wait(t, &recv)
	if int(res) != len(buf) || !bytes.Equal(buf, payload[:len(buf)]) {
		t.Fatalf("RECVMSG res = %d, buf %q; want %d, %q", res, buf, len(buf), payload[:len(buf)])
	}
	if rm.Flags&unix.MSG_TRUNC == 0 {
		t.Errorf("msg_flags = %#x, want MSG_TRUNC", rm.Flags)
	}
	fu := (*unix.RawSockaddrUnix)(unsafe.Pointer(&from))
	var got []byte
	for _, c := range fu.Path[:rm.Namelen-2] {
		if c == 0 {
			break
		}
		got = append(got, byte(c))
	}
	if string(got) != dir+"/a" {
		t.Errorf("sender = %q (namelen %d), want %q", got, rm.Namelen, dir+"/a")
	}
	cms, err := unix.ParseSocketControlMessage(roob[:rm.Controllen])
	if err != nil || len(cms) != 1 {
		t.Fatalf("control: %v, %d messages (controllen %d)", err, len(cms), rm.Controllen)
	}
	fds, err := unix.ParseUnixRights(&cms[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("SCM_RIGHTS: %v, %v", fds, err)
	}
	defer unix.Close(fds[0])
	// The passed descriptor is the pipe's write end: it works.
	if _, err := unix.Write(fds[0], []byte("x")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if n, err := unix.Read(p[0], one); n != 1 || err != nil {
		t.Fatalf("read through the passed descriptor: %d, %v", n, err)
	}
}

// TestRecvMsgCancel: a RECVMSG cancelled while it waits completes with
// -ECANCELED, and only once its CQE is in; one bounded by a linked timeout
// reports it.
func TestRecvMsgCancel(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_RECVMSG)
	a, _ := socketpair(t, unix.SOCK_DGRAM)
	buf := make([]byte, 16)
	m, _ := msghdr(buf, nil, nil, 0)
	var q Req
	q.PrepRecvMsg(a, unsafe.Pointer(m), 0)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	r.Cancel(&q)
	if res, _ := wait(t, &q); res != -int32(unix.ECANCELED) {
		t.Fatalf("cancelled RECVMSG res = %d, want -ECANCELED", res)
	}
	q.PrepRecvMsg(a, unsafe.Pointer(m), 0)
	q.SetTimeout(10 * time.Millisecond)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if res, timedOut := wait(t, &q); !timedOut || res != -int32(unix.ECANCELED) {
		t.Fatalf("RECVMSG with a linked timeout: res %d, timedOut %v; want -ECANCELED, true", res, timedOut)
	}
}

// TestWritev: WRITEV writes three buffers to a pipe in one request.
func TestWritev(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_WRITEV)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	bufs := [][]byte{[]byte("one "), []byte("two "), []byte("three")}
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	var q Req
	q.PrepWritev(p[1], unsafe.Pointer(&iov[0]), len(iov))
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 13 {
		t.Fatalf("WRITEV res = %d, want 13", res)
	}
	got := make([]byte, 32)
	n, _ := unix.Read(p[0], got)
	if string(got[:n]) != "one two three" {
		t.Fatalf("pipe holds %q", got[:n])
	}
}

// TestSplice: SPLICE moves bytes from a pipe to a socket and from a socket
// into a pipe, with no offsets (-1).
func TestSplice(t *testing.T) {
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_SPLICE)
	a, b := socketpair(t, unix.SOCK_STREAM)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("spliced")); err != nil {
		t.Fatal(err)
	}
	var q Req
	q.PrepSplice(p[0], -1, a, -1, 7, unix.SPLICE_F_MOVE)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 7 {
		t.Fatalf("SPLICE pipe→socket res = %d, want 7", res)
	}
	got := make([]byte, 16)
	if n, _ := unix.Read(b, got); string(got[:n]) != "spliced" {
		t.Fatalf("socket got %q", got[:n])
	}
	// Socket → pipe: the request waits for the data.
	q.PrepSplice(b, -1, p[1], -1, 16, unix.SPLICE_F_MOVE)
	if err := r.Submit(&q); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(a, []byte("back")); err != nil {
		t.Fatal(err)
	}
	if res, _ := wait(t, &q); res != 4 {
		t.Fatalf("SPLICE socket→pipe res = %d, want 4", res)
	}
	if n, _ := unix.Read(p[0], got); string(got[:n]) != "back" {
		t.Fatalf("pipe got %q", got[:n])
	}
}

// TestForceUnsupported: Supports reports what the probe said, and false
// for an opcode a test takes away.
func TestForceUnsupported(t *testing.T) {
	r := newRing(t, Config{})
	for _, op := range RequiredOps {
		if !r.Supports(op) {
			t.Errorf("Supports(IORING_OP_%s) = false for a required opcode", opNames[op])
		}
	}
	if r.Supports(255) {
		t.Error("Supports(255) = true: no kernel has that many opcodes")
	}
	if !r.Supports(IORING_OP_SENDMSG) {
		t.Skip("no IORING_OP_SENDMSG here")
	}
	r.ForceUnsupported(IORING_OP_SENDMSG)
	if r.Supports(IORING_OP_SENDMSG) {
		t.Error("Supports(IORING_OP_SENDMSG) after ForceUnsupported = true")
	}
}

// TestMsgPinsAllocFree: a SENDMSG of a msghdr with many iovecs (more
// pointers than one runtime.Pinner holds inline) allocates nothing once
// its Pinners exist.
func TestMsgPinsAllocFree(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	r := newRing(t, Config{})
	requireOp(t, r, IORING_OP_SENDMSG)
	a, b := socketpair(t, unix.SOCK_DGRAM)
	bufs := make([][]byte, 12)
	iov := make([]unix.Iovec, len(bufs))
	for i := range bufs {
		bufs[i] = []byte{byte(i)}
		iov[i].Base = &bufs[i][0]
		iov[i].SetLen(1)
	}
	m := new(unix.Msghdr)
	m.Iov = &iov[0]
	m.SetIovlen(len(iov))
	var q Req
	done := make(chan struct{}, 1)
	q.SetDone(done)
	got := make([]byte, 64)
	send := func() {
		q.PrepSendMsg(a, unsafe.Pointer(m), unix.MSG_NOSIGNAL)
		if err := r.Submit(&q); err != nil {
			t.Fatal(err)
		}
		for !q.Completed() {
			<-done
		}
		if res, _ := q.Result(); res != 12 {
			t.Fatalf("SENDMSG res = %d, want 12", res)
		}
		if n, _ := unix.Read(b, got); n != 12 {
			t.Fatalf("read %d bytes, want 12", n)
		}
	}
	for range 10 {
		send()
	}
	if n := testing.AllocsPerRun(200, send); n != 0 {
		t.Errorf("SENDMSG of 12 iovecs allocates %v times, want 0", n)
	}
}
