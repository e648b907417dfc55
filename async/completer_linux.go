package async

import (
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/sock"
	"github.com/iomodel/iomodel/internal/uring"
)

// lifecycle is the ring's part in one descriptor's life: the FD's
// iofd.Driver, the model's hook into the loop every model shares (Try: the
// system call first, or straight to the ring; Wait: after EAGAIN, yield,
// or the request on the ring; Evict and Destroy: its cancels and its
// release).
type lifecycle struct {
	ring *uring.Ring
	ops  uring.Tracker // SendAsync/RecvAsync requests and Close's cancel by fd, until the ring has reaped them
	// speculate: a socket without WithRingOnly tries Send and Recv with
	// MSG_DONTWAIT before the ring (the package doc, "Speculation").
	speculate bool

	// One request per direction, reused by every call (used under that
	// Half's lock): Recv and Accept in dir[iofd.Read], Send and Connect in
	// dir[iofd.Write]. Each is made on the direction's first request
	// (dirOf), so that an idle Conn, whose Write Half has never waited,
	// holds one.
	dir [2]*direction

	// recvWaited: the last Recv was served by the ring; waitedBefore is
	// its value when this Recv began. While many calls wait, a Recv that
	// follows one that waited goes straight to the ring. Under fd.Read's
	// lock.
	recvWaited, waitedBefore bool

	// peers holds the address each ACCEPT reported, by the accepted
	// descriptor, until the listener's open takes it (a Listener's only).
	peersMu sync.Mutex
	peers   map[int]net.Addr
}

type direction struct {
	q     uring.Req
	one   [1]*uring.Req // q, as the chain of one that await submits
	batch chain         // ReadBatch's or WriteBatch's requests (batch_linux.go)
}

var _ iofd.Driver = (*lifecycle)(nil)

// dirOf is h's direction, made on first use. Call it with h's lock held.
func (l *lifecycle) dirOf(h *iofd.Half) *direction {
	d := l.dir[h.Dir()]
	if d == nil {
		d = new(direction)
		l.dir[h.Dir()] = d
	}
	return d
}

// Try makes the loop's attempt at c. A socket speculates (one recv(2),
// send(2), recvmsg(2) or sendmsg(2) with MSG_DONTWAIT on the caller's
// thread, accept4(2) on a Listener's) unless WithRingOnly; what is not a
// socket and the zero-copy calls go to the ring at once (Skip). While more
// calls wait than there are Ps, a Recv whose previous Recv also waited
// skips the attempt: it most likely waits as well, and a doomed attempt at
// submission would run on the ring's thread, the busiest one. What the
// ring cannot perform (performs) is always tried here.
func (l *lifecycle) Try(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	if !l.performs(fd, c) || c.Flags&unix.MSG_DONTWAIT != 0 && c.Kind != iofd.OpAccept {
		// A batch's own MSG_DONTWAIT: one attempt, and its EAGAIN.
		return c.Sys(fd, h)
	}
	d := l.speculate && speculative(c.Kind)
	if c.Kind == iofd.OpRecv {
		if c.Attempt == 0 {
			l.waitedBefore, l.recvWaited = l.recvWaited, false
		}
		d = d && !(l.waitedBefore && iofd.Crowded())
	}
	if !d {
		return c.Skip()
	}
	return c.Sys(fd, h)
}

// Wait, after the loop's attempt found EAGAIN, gives the CPU away for a
// moment while few calls wait (the answer is often a moment away: see
// iofd.ShouldYield) and has the loop try again; otherwise, and when no
// attempt was made, it performs the call on the ring (complete). A call the
// ring cannot perform waits for readiness with IORING_OP_POLL_ADD
// (ready), and the loop makes the system call again.
func (l *lifecycle) Wait(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	if !l.performs(fd, c) {
		return l.ready(fd, h, c)
	}
	if c.Tried() && iofd.ShouldYield(c.Attempt) {
		iofd.YieldThread()
		return c.Woken()
	}
	return l.complete(fd, h, &c.Op)
}

// performs reports whether the ring performs c (complete); the rest the
// loop does itself, waiting for readiness between attempts (ready):
// sendfile (io_uring has none), RawConn's function, an accept on a
// speculating Listener (whose socket is O_NONBLOCK, where an ACCEPT would
// complete at once with EAGAIN: openListener), an AF_UNIX datagram send
// (complete says why), and an opcode this kernel's IORING_REGISTER_PROBE
// did not report.
func (l *lifecycle) performs(fd *iofd.FD, c *iofd.Call) bool {
	switch c.Kind {
	case iofd.OpRecv, iofd.OpRead, iofd.OpSend, iofd.OpWrite, iofd.OpConnect:
		return true
	case iofd.OpAccept:
		return !l.speculate
	case iofd.OpRecvMsg:
		return c.Msg != nil && l.supports(uring.IORING_OP_RECVMSG)
	case iofd.OpSendMsg:
		return c.Msg != nil && !unixDatagram(fd) && l.supports(uring.IORING_OP_SENDMSG)
	case iofd.OpWritev:
		if fd.Kind.IsSocket() {
			return c.Msg != nil && l.supports(uring.IORING_OP_SENDMSG)
		}
		return c.Msg != nil && l.supports(uring.IORING_OP_WRITEV)
	case iofd.OpRecvMmsg:
		return c.Msg != nil && c.Count > 0 && l.supports(uring.IORING_OP_RECVMSG)
	case iofd.OpSendMmsg:
		return c.Msg != nil && c.Count > 0 && !unixDatagram(fd) && l.supports(uring.IORING_OP_SENDMSG)
	case iofd.OpSplice:
		return l.supports(uring.IORING_OP_SPLICE) && l.supports(uring.IORING_OP_POLL_ADD)
	}
	return false // OpSendfile, OpPoll
}

// unixDatagram reports whether fd is an AF_UNIX datagram socket, whose
// sends the ring does not perform: such a send fails with EAGAIN when the
// receiver's queue is full, while poll(2) says the sender is writable (its
// own buffer has room): a SENDMSG the ring parks on its poll was seen to
// wait for ever in about half of conntest's concurrent runs. The loop
// sends itself and asks the ring for writability between tries.
func unixDatagram(fd *iofd.FD) bool { return fd.Kind == iofd.Datagram && fd.Family == unix.AF_UNIX }

// ready waits until fd is ready in h's direction with a one-shot
// IORING_OP_POLL_ADD (or, on a ring without it, poll(2) for at most 10
// ms), then has the loop try again.
func (l *lifecycle) ready(fd *iofd.FD, h *iofd.Half, c *iofd.Call) (int, error) {
	if l.supports(uring.IORING_OP_POLL_ADD) {
		q := &l.dirOf(h).q
		q.PrepPollAdd(fd.Sysfd, uint32(h.Events()))
		switch _, err := l.run(fd, h, q, iofd.OpPoll); err {
		case nil, unix.ECANCELED, unix.EINTR:
			return c.Woken()
		default:
			return 0, err
		}
	}
	if err := fd.PollReady(h); err != nil {
		return 0, err
	}
	return c.Woken()
}

// complete performs op as one request on the ring: IORING_OP_RECV, READ,
// SEND (with op's MSG_NOSIGNAL), WRITE, ACCEPT, CONNECT, RECVMSG, SENDMSG
// (with MSG_NOSIGNAL), WRITEV or SPLICE, bounded by a linked timeout for
// the time left before the deadline, and returns when the kernel is done
// with it: its result as the system call would have returned it (n ≥ 0,
// or the errno; ECANCELED when withdrawn, for the loop's check to say
// why). A request that follows an EAGAIN of the loop's is marked
// IORING_RECVSEND_POLL_FIRST: the kernel arms its poll without trying once
// more.
//
// SEND is not given MSG_WAITALL: with it io_uring retries a short send
// internally, and a request cancelled after part of its bytes went (a moved
// deadline) would complete with -ECANCELED, losing the count of what was
// sent. One send per request keeps "cancelled" meaning "nothing sent", and
// the loop sends the rest.
//
// recvmmsg and sendmmsg, which io_uring has not, are a chain of RECVMSGs
// or SENDMSGs in one submission (batch_linux.go).
func (l *lifecycle) complete(fd *iofd.FD, h *iofd.Half, op *iofd.Op) (int, error) {
	q := &l.dirOf(h).q
	switch op.Kind {
	case iofd.OpRecv:
		q.PrepRecv(fd.Sysfd, op.Buf, 0)
		l.recvWaited = l.speculate
	case iofd.OpRead:
		q.PrepRead(fd.Sysfd, op.Buf)
	case iofd.OpSend:
		q.PrepSend(fd.Sysfd, op.Buf, op.Flags)
	case iofd.OpWrite:
		q.PrepWrite(fd.Sysfd, op.Buf)
	case iofd.OpAccept:
		q.PrepAccept(fd.Sysfd, op.Flags)
	case iofd.OpConnect:
		if len(op.Buf) == 0 {
			return 0, unix.EINVAL
		}
		// PrepConnect copies the address into q, and the ring copies it
		// into the request's slot, pinned for the ring's lifetime, where
		// the kernel reads it: op.Buf need not outlive this call.
		q.PrepConnect(fd.Sysfd, unsafe.Pointer(&op.Buf[0]), uint32(len(op.Buf)))
	case iofd.OpRecvMsg:
		// The msghdr is the FD's, in place until the call returns: the
		// kernel reads it and writes back its lengths and flags there.
		// The ring pins it and what it points at while it is submitted.
		q.PrepRecvMsg(fd.Sysfd, op.Msg, op.Flags)
	case iofd.OpSendMsg:
		q.PrepSendMsg(fd.Sysfd, op.Msg, op.Flags|unix.MSG_NOSIGNAL)
	case iofd.OpWritev:
		m := (*unix.Msghdr)(op.Msg)
		if fd.Kind.IsSocket() {
			// Writev on a socket is SENDMSG (iofd hands it over as
			// OpSendMsg; this is for a caller that does not).
			q.PrepSendMsg(fd.Sysfd, op.Msg, unix.MSG_NOSIGNAL)
		} else {
			q.PrepWritev(fd.Sysfd, unsafe.Pointer(m.Iov), int(m.Iovlen))
		}
	case iofd.OpSplice:
		return l.splice(fd, h, q, op)
	case iofd.OpRecvMmsg, iofd.OpSendMmsg:
		return l.batch(fd, h, op)
	default:
		return 0, unix.ENOSYS // performs says no
	}
	if l.speculate && speculative(op.Kind) {
		// The loop just saw EAGAIN, or skipped its attempt because the
		// last Recv waited under load: no point trying before the poll.
		q.SetPollFirst()
	}
	return l.run(fd, h, q, op.Kind)
}

// speculative reports whether the loop tries kind itself, with
// MSG_DONTWAIT, before handing it to the ring (Direct).
func speculative(kind iofd.OpKind) bool {
	switch kind {
	case iofd.OpRecv, iofd.OpSend, iofd.OpRecvMsg, iofd.OpSendMsg, iofd.OpRecvMmsg, iofd.OpSendMmsg, iofd.OpAccept:
		return true
	}
	return false
}

// supports reports whether the ring's kernel performs op; testSupports, when
// set (by tests only), has the last word.
func (l *lifecycle) supports(op uint8) bool {
	ok := l.ring.Supports(op)
	if testSupports != nil {
		ok = testSupports(op, ok)
	}
	return ok
}

// testSupports, when set (by tests only), decides what supports reports.
var testSupports func(op uint8, probed bool) bool

// run submits the request q describes, bounded by a linked timeout for the
// time left before h's deadline, waits for it (await) and returns its
// result as complete does.
func (l *lifecycle) run(fd *iofd.FD, h *iofd.Half, q *uring.Req, kind iofd.OpKind) (int, error) {
	dl := h.Deadline()
	if dl != 0 {
		left := time.Duration(dl - time.Now().UnixNano())
		if left <= 0 {
			return 0, unix.ECANCELED // withdrawn: the loop's check reports the deadline
		}
		q.SetTimeout(left)
	}
	d := l.dirOf(h)
	d.one[0] = q
	err := l.await(fd, h, d.one[:], dl)
	d.one[0] = nil
	res, timedOut := q.Result()
	switch {
	case err != nil:
		return 0, err
	case res >= 0:
		// Bytes moved count even if the deadline fired meanwhile: the
		// loop's next check reports it.
		if kind == iofd.OpAccept {
			l.recordPeer(fd, int(res), q)
		}
		return int(res), nil
	case timedOut && h.Expired():
		return 0, os.ErrDeadlineExceeded
	case timedOut:
		// The kernel's clock (CLOCK_MONOTONIC) ran out a hair before the
		// deadline's (the wall clock): the loop tries again for the rest.
		return 0, unix.ECANCELED
	}
	return 0, syscall.Errno(-res)
}

// splice is OpSplice on the ring: IORING_OP_SPLICE between the socket and
// the pipe op.Fd, both offsets -1, from the pipe to the socket on the Write
// Half and from the socket into the pipe on the Read Half. iofd puts the
// socket in O_NONBLOCK for its zero-copy calls, and io_uring's SPLICE has no
// poll of its own (the kernel runs it in a worker thread and answers EAGAIN
// as it is): on EAGAIN it waits for the socket with POLL_ADD and splices
// again. SPLICE_F_NONBLOCK is dropped from the flags, so the pipe's side
// waits in the kernel's worker, where a cancel reaches it.
func (l *lifecycle) splice(fd *iofd.FD, h *iofd.Half, q *uring.Req, op *iofd.Op) (int, error) {
	if !l.supports(uring.IORING_OP_SPLICE) || !l.supports(uring.IORING_OP_POLL_ADD) {
		return 0, unix.ENOSYS
	}
	flags := op.Flags &^ unix.SPLICE_F_NONBLOCK
	events := uint32(unix.POLLIN)
	if h.Dir() == iofd.Write {
		events = unix.POLLOUT
	}
	for {
		if fd.Closed() {
			return 0, unix.ECANCELED // the loop's check reports the close
		}
		if h.Dir() == iofd.Write {
			q.PrepSplice(int(op.Fd), -1, fd.Sysfd, -1, op.Count, flags)
		} else {
			q.PrepSplice(fd.Sysfd, -1, int(op.Fd), -1, op.Count, flags)
		}
		n, err := l.run(fd, h, q, iofd.OpSplice)
		if err != unix.EAGAIN {
			return n, err
		}
		q.PrepPollAdd(fd.Sysfd, events)
		if _, err := l.run(fd, h, q, iofd.OpPoll); err != nil {
			return 0, err
		}
	}
}

// await submits qs, one request or a chain (uring.SubmitChain), and
// sleeps until every one of them has completed. If the descriptor is closed
// or the deadline dl moves or passes meanwhile, it cancels them
// (IORING_OP_ASYNC_CANCEL, each) and still waits for every completion: when
// await returns, the kernel is done with qs and their buffers. Read each
// one's Result.
//
// The ring signals each completion on h's wake-up token, which Close and
// SetDeadline signal too, so without a deadline the caller sleeps on that
// one channel. With one, Wait's timer runs beside the linked timeout a lone
// request carries, which starts only when it reaches the kernel: a request
// still held in the ring's backlog (the CQ is full) must end at its
// deadline too. A chain carries no linked timeout (it would bound only its
// head): that timer and the cancel bound it.
func (l *lifecycle) await(fd *iofd.FD, h *iofd.Half, qs []*uring.Req, dl int64) error {
	for _, q := range qs {
		q.SetDone(h.Token())
		q.KeepPinned() // unpinned below, off the ring's thread
	}
	if testHookSubmit != nil {
		testHookSubmit(l)
	}
	if err := l.ring.SubmitChain(qs); err != nil {
		return err
	}
	h.Count(0, 1, 0, 0) // the submission is this call's system call
	l.ring.Spin(qs[len(qs)-1])
	for !completed(qs) {
		h.Wait(0)
		if completed(qs) {
			break
		}
		if fd.Closed() || h.Deadline() != dl || h.Expired() {
			l.ring.CancelChain(qs)
			for !completed(qs) {
				<-h.Token()
			}
		}
	}
	for _, q := range qs {
		q.Unpin()
	}
	return nil
}

// completed reports whether every request of qs has completed.
func completed(qs []*uring.Req) bool {
	for _, q := range qs {
		if !q.Completed() {
			return false
		}
	}
	return true
}

// testHookSubmit, when set (by tests only), runs in await just before the
// request is handed to the ring.
var testHookSubmit func(*lifecycle)

// Evict, in Close, cancels the Ops nobody waits for (SendAsync, RecvAsync)
// with one cancel of every request on the descriptor
// (IORING_ASYNC_CANCEL_FD|ALL). The cancel counts in ops until the kernel
// has answered it, so Destroy's wait also keeps close(2) from freeing the
// number while a cancel by that number is still on its way to the ring.
//
// Pending Send, Recv and Accept calls need no cancel from here: Close wakes
// them, and each cancels its own request by user_data (await). Nor does a
// descriptor with no Op in flight, the common case: the kernel looks for a
// cancel by descriptor in every request the ring has armed, so one Close
// among 5000 waiting connections compared 5000 requests, on the ring's one
// thread (with Connection: close under wrk, a third of that thread's time).
// An Op started after Close marked the FD closed cancels itself (start).
//
// A moved deadline (h not nil) needs nothing either: the call's await
// wakes on its token and cancels its request itself.
func (l *lifecycle) Evict(fd *iofd.FD, h *iofd.Half) {
	if h == nil && l.ops.Busy() {
		l.ring.CancelFD(fd.Sysfd, &l.ops)
	}
}

// Destroy, just before close(2), waits until no request on the descriptor is
// left in the kernel, then lets go of the ring.
func (l *lifecycle) Destroy(fd *iofd.FD) {
	l.ops.Wait()
	l.ring.Release()
}

// recordPeer keeps the address an ACCEPT reported for the descriptor it
// made, for the listener's open: accept(2) reports it even when the peer
// has already reset the connection, when getpeername(2) no longer can.
func (l *lifecycle) recordPeer(fd *iofd.FD, nfd int, q *uring.Req) {
	raw, _ := q.Sockaddr()
	a := peerAddr(fd.Kind, raw)
	if a == nil {
		return
	}
	l.peersMu.Lock()
	if l.peers == nil {
		l.peers = make(map[int]net.Addr)
	}
	l.peers[nfd] = a
	l.peersMu.Unlock()
}

// peer takes the address recordPeer kept for nfd; nil if none.
func (l *lifecycle) peer(nfd int) net.Addr {
	l.peersMu.Lock()
	defer l.peersMu.Unlock()
	a := l.peers[nfd]
	delete(l.peers, nfd)
	return a
}

// peerAddr reads the raw sockaddr an ACCEPT filled in.
func peerAddr(kind iofd.Kind, raw *unix.RawSockaddrAny) net.Addr {
	sotype := unix.SOCK_STREAM
	if kind == iofd.SeqPacket {
		sotype = unix.SOCK_SEQPACKET
	}
	var sa unix.Sockaddr
	switch raw.Addr.Family {
	case unix.AF_INET:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		sa = &unix.SockaddrInet4{Port: port(r.Port), Addr: r.Addr}
	case unix.AF_INET6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		sa = &unix.SockaddrInet6{Port: port(r.Port), ZoneId: r.Scope_id, Addr: r.Addr}
	case unix.AF_UNIX:
		// As x/sys/unix reads what accept4(2) returns, so that every model
		// names a Unix peer alike: a leading NUL (the abstract namespace,
		// unix(7), or an unnamed peer) reads as '@'.
		r := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
		path := make([]byte, 0, len(r.Path))
		for i, c := range r.Path {
			if c == 0 && i > 0 {
				break
			}
			path = append(path, byte(c))
		}
		if len(path) > 0 && path[0] == 0 {
			path[0] = '@'
		}
		sa = &unix.SockaddrUnix{Name: string(path)}
	default:
		return nil
	}
	return sock.Addr(sotype, sa)
}

// port reads a port in network byte order.
func port(p uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return int(b[0])<<8 | int(b[1])
}

func (l *lifecycle) ringStats() RingStats { return ringStats(l.ring) }
