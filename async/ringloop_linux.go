package async

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/loop"
	"github.com/iomodel/iomodel/internal/uring"
)

// ringLoop is one loop of the async Engine: a goroutine, locked to its OS
// thread, that owns a ring (uring.EventRing) and every connection given to
// it. The kernel does the I/O; the loop prepares requests, enters the
// kernel once per turn to submit them and wait (bounded by its next
// timer), and calls the Handler for each completion it reaps:
//
//   - a multishot ACCEPT per listener (IORING_ACCEPT_MULTISHOT); accepted
//     sockets are spread over the loops;
//   - a multishot RECV per connection into the loop's provided-buffer ring
//     (IORING_RECV_MULTISHOT, IOSQE_BUFFER_SELECT): the kernel picks a
//     buffer only when data arrives, so an idle connection holds none; the
//     buffer goes back to the ring as soon as OnData returns;
//   - at most one SEND per connection of the head of its write queue, which
//     stays put (and pinned) until its completion; the rest waits in the
//     queue;
//   - closing, an ASYNC_CANCEL of everything on the descriptor, and close(2)
//     only once the last completion for it has been reaped.
//
// Without provided-buffer rings or multishot receive (older kernels, or the
// test-only option), each connection has a one-shot POLL_ADD instead and
// the loop reads with recv(2) into one buffer of its own; without
// multishot ACCEPT, a one-shot ACCEPT is armed again after each.
type ringLoop struct {
	d *driver

	// mu guards what other goroutines hand the loop.
	mu       sync.Mutex
	newLns   []*loop.Listener
	incoming []accepted
	kicks    []*loop.Conn
	stop     bool
	force    bool
	exited   bool // the ring is closed: nobody may wake it

	// The owner's alone.
	r        *uring.EventRing
	br       *uring.BufRing // nil in the fallback
	fallback bool           // POLL_ADD and recv(2) instead of multishot RECV
	rbuf     []byte         // the fallback's read buffer
	slots    loop.Table[slot]
	conns    int        // connections this loop owns
	lns      []*lnState // by the index in their ACCEPT's user_data; nil once closed
	liveLns  int
	timers   loop.Timers
	pins     []*runtime.Pinner  // free Pinners for SENDs
	cqes     []uring.Completion // this turn's completions
	pos      int                // the one being handled
	scratch  []uring.Completion
	took     struct {
		lns      []*loop.Listener
		incoming []accepted
		kicks    []*loop.Conn
	}
	gid              uint64 // the goroutine's number (loop.GoroutineID)
	now              int64  // Now's clock at the top of this turn
	bufsUsed         int64  // the turn a provided buffer was last filled; 0: released since
	stopping, forced bool
	multiOK          bool // a multishot RECV has worked: EINVAL is not "unsupported"
}

// accepted is a socket accepted by one loop for another.
type accepted struct {
	fd            int
	local, remote net.Addr
}

// slot is the loop's record of one connection's requests in the kernel.
type slot struct {
	c        *loop.Conn
	gen      uint32
	inflight int16 // requests whose last completion is not reaped yet
	sending  int32 // bytes of the SEND in flight; 0: none
	recv     bool  // the multishot RECV (or the fallback's POLL_ADD) is armed
	poll     bool  // it is the fallback's POLL_ADD
	stopRecv bool  // a cancel of it is on its way
	cancel   bool  // the ASYNC_CANCEL of the descriptor is on its way
	pin      *runtime.Pinner
}

// lnState is a listener the loop accepts on.
type lnState struct {
	l       *loop.Listener
	idx     uint32 // in lns and in user_data
	armed   bool   // its ACCEPT, or the POLL_ADD of shed, is in the kernel
	once    bool   // one-shot ACCEPTs (no multishot here)
	retryAt int64  // out of descriptors: arm again then (Now's clock)
	closing bool
}

// The kinds of request, in user_data's top byte; below it, a slot's
// generation (24 bits) and index (32 bits), or a listener's index.
const (
	kRecv = iota + 1
	kPoll
	kSend
	kCancel   // of a connection's requests: counts in its slot
	kAccept   // a listener's ACCEPT
	kLnCancel // a listener's cancel: nothing waits for it
	kLnPoll   // a listener's POLL_ADD, out of descriptors (shed)
)

func ud(kind uint64, idx, gen uint32) uint64 {
	return kind<<56 | uint64(gen&0xffffff)<<32 | uint64(idx)
}

// releaseAfter is how long a loop's provided buffers go unfilled before
// their pages go back to the system (BufRing.Release): a second, so a busy
// loop never pays for it and an idle one soon holds no receive memory.
const releaseAfter = time.Second

// acceptBackoff is how long a listener rests when the process is out of
// descriptors and no spare is left to shed the connection with.
const acceptBackoff = 100 * time.Millisecond

func (l *ringLoop) run(ready chan<- error) {
	defer l.d.wg.Done()
	// Never unlocked: the ring is this thread's (SINGLE_ISSUER,
	// DEFER_TASKRUN); when run returns, the goroutine exits locked and the
	// runtime ends the thread with it.
	runtime.LockOSThread()
	l.gid = loop.GoroutineID()
	o, cfg := l.d.o, l.d.eng.Config
	r, err := uring.NewEventRing(uint32(o.entries), uint32(4*o.entries))
	if err != nil {
		l.markExited()
		ready <- err
		return
	}
	l.r = r
	l.fallback = o.noMulti
	if !l.fallback {
		br, err := r.NewBufRing(0, o.buffers, cfg.ReadBuffer)
		switch {
		case err == nil:
			l.br = br
		case errors.Is(err, errors.ErrUnsupported):
			l.fallback = true
		default:
			r.Close()
			l.markExited()
			ready <- err
			return
		}
	}
	if l.fallback {
		l.rbuf = make([]byte, cfg.ReadBuffer)
	}
	l.d.eng.Counters.Loops.Add(1)
	ready <- nil

	l.loop()

	l.markExited()
	l.d.eng.Counters.Loops.Add(-1)
	if l.br != nil {
		l.br.Close()
	}
	r.Close()
	l.mu.Lock()
	for _, a := range l.incoming {
		unix.Close(a.fd)
	}
	l.incoming = nil
	l.mu.Unlock()
}

func (l *ringLoop) markExited() {
	l.mu.Lock()
	l.exited = true
	l.mu.Unlock()
}

// wakeLocked wakes the loop; l.mu is held, so the ring is not closed
// under it.
func (l *ringLoop) wakeLocked() {
	if !l.exited && l.r != nil {
		l.r.Wake()
	}
}

// loop is the turn, over and over: take what other goroutines handed
// over, fire due timers, enter the kernel (submit and wait), handle the
// completions.
func (l *ringLoop) loop() {
	for {
		l.r.Woken()
		l.take()
		now := loop.Now()
		l.now = now
		for c := l.timers.Due(now); c != nil; c = l.timers.Due(now) {
			c.Expire(now)
			l.service(c)
		}
		wait := l.timers.Next(now)
		if l.bufsUsed != 0 {
			// Give the buffers' pages back once no data has come for
			// releaseAfter: an idle engine holds no receive memory.
			if idle := time.Duration(now - l.bufsUsed); idle >= releaseAfter {
				l.br.Release()
				l.bufsUsed = 0
			} else if d := releaseAfter - idle; wait < 0 || d < wait {
				wait = d
			}
		}
		for _, ls := range l.lns {
			if ls != nil && ls.retryAt != 0 {
				if ls.retryAt <= now {
					ls.retryAt = 0
					l.armAccept(ls)
				} else if d := time.Duration(ls.retryAt - now); wait < 0 || d < wait {
					wait = d
				}
			}
		}
		if l.stopping && l.conns == 0 && l.liveLns == 0 {
			return
		}
		l.r.Wait(wait)
		l.d.eng.Counters.Wakeups.Add(1)
		l.cqes = l.r.Reap(l.cqes[:0])
		// Unwatch may append completions of other connections it reaped
		// while it waited: they are handled in order, after these.
		for l.pos = 0; l.pos < len(l.cqes); l.pos++ {
			l.complete(l.cqes[l.pos])
		}
		l.cqes = l.cqes[:0]
	}
}

// take handles what other goroutines handed over: listeners, sockets
// accepted by other loops, kicked connections, Stop.
func (l *ringLoop) take() {
	t := &l.took
	l.mu.Lock()
	t.lns, l.newLns = l.newLns, t.lns[:0]
	t.incoming, l.incoming = l.incoming, t.incoming[:0]
	t.kicks, l.kicks = l.kicks, t.kicks[:0]
	stop, force := l.stop, l.force
	l.mu.Unlock()

	for _, ln := range t.lns {
		ls := &lnState{l: ln, idx: uint32(len(l.lns)), once: l.d.o.noMulti}
		l.lns = append(l.lns, ls)
		l.liveLns++
		l.armAccept(ls)
	}
	clear(t.lns)
	for _, a := range t.incoming {
		l.open(a.fd, a.local, a.remote)
	}
	clear(t.incoming)
	for _, c := range t.kicks {
		c.Unkick()
		l.service(c)
	}
	clear(t.kicks)
	if stop && !l.stopping {
		l.stopping = true
		for _, ls := range l.lns {
			if ls != nil {
				l.closeListener(ls)
			}
		}
		l.each(func(c *loop.Conn) { c.Shut() })
	}
	if force && !l.forced {
		l.forced = true
		l.each(func(c *loop.Conn) { c.Abort() })
	}
}

// each calls f for every connection the loop owns, then services it.
func (l *ringLoop) each(f func(*loop.Conn)) {
	for i := range l.slots.Len() {
		if c := l.slots.At(uint32(i)).c; c != nil && !c.Detached() {
			f(c)
			l.service(c)
		}
	}
}

// Kick is loop.Owner's: c wants servicing.
func (l *ringLoop) Kick(c *loop.Conn) {
	l.mu.Lock()
	if !l.exited {
		l.kicks = append(l.kicks, c)
		l.r.Wake()
	}
	l.mu.Unlock()
}

// Goroutine is loop.Owner's: Detach from another goroutine fails.
func (l *ringLoop) Goroutine() uint64 { return l.gid }

// slotOf is c's slot, or nil when c is no longer the loop's.
func (l *ringLoop) slotOf(c *loop.Conn) *slot {
	idx := uint32(c.Tag)
	if int(idx) >= l.slots.Len() {
		return nil
	}
	s := l.slots.At(idx)
	if s.c != c || s.gen != uint32(c.Tag>>32) {
		return nil
	}
	return s
}

// open makes fd a connection of this loop: OnOpen, then its RECV.
func (l *ringLoop) open(fd int, local, remote net.Addr) {
	if l.stopping {
		unix.Close(fd)
		return
	}
	idx, s := l.slots.Alloc()
	c := l.d.eng.NewConn(l, fd, local, remote)
	c.Tag = uint64(s.gen&0xffffff)<<32 | uint64(idx)
	s.c = c
	l.conns++
	l.d.eng.Counters.Accepted.Add(1)
	l.d.eng.Counters.Open.Add(1)
	c.Open()
	l.service(c)
}

// service brings c's requests in line with its state: arm or cancel its
// RECV, start a SEND of its queue's head, or close it once nothing of it
// is left in the kernel.
func (l *ringLoop) service(c *loop.Conn) {
	s := l.slotOf(c)
	if s == nil {
		return
	}
	idx, gen := uint32(c.Tag), s.gen
	if c.Detached() {
		l.forget(c, s, idx)
		return
	}
	if c.Finishing() {
		l.timers.Remove(c)
		if s.inflight == 0 {
			l.finish(c, s, idx)
			return
		}
		if !s.cancel {
			l.r.CancelFD(c.Fd(), ud(kCancel, idx, gen))
			s.cancel = true
			s.inflight++
		}
		return
	}
	if c.Reading() {
		if !s.recv {
			l.arm(c, s, idx)
		}
	} else if s.recv && !s.stopRecv {
		// Closing, or paused at the high watermark: the kernel must stop
		// receiving. What it received meanwhile still comes (received).
		kind := uint64(kRecv)
		if s.poll {
			kind = kPoll
		}
		l.r.Cancel(ud(kind, idx, gen), ud(kCancel, idx, gen))
		s.stopRecv = true
		s.inflight++
	}
	if s.sending == 0 {
		if h := c.Head(); len(h) > 0 {
			var p *runtime.Pinner
			if n := len(l.pins); n > 0 {
				p = l.pins[n-1]
				l.pins = l.pins[:n-1]
			} else {
				p = new(runtime.Pinner)
			}
			p.Pin(&h[0])
			s.pin, s.sending = p, int32(len(h))
			s.inflight++
			l.r.Send(c.Fd(), h, ud(kSend, idx, gen))
		}
	}
	l.timers.Schedule(c)
}

// arm starts receiving on c: a multishot RECV, or the fallback's POLL_ADD.
func (l *ringLoop) arm(c *loop.Conn, s *slot, idx uint32) {
	if l.fallback {
		l.r.PollAdd(c.Fd(), unix.POLLIN|unix.POLLRDHUP, ud(kPoll, idx, s.gen))
	} else {
		l.r.RecvMultishot(c.Fd(), l.br.Group(), ud(kRecv, idx, s.gen))
	}
	s.recv, s.poll = true, l.fallback
	s.inflight++
}

// finish closes c (close(2) and OnClose): nothing of it is in the kernel.
func (l *ringLoop) finish(c *loop.Conn, s *slot, idx uint32) {
	l.release(s, idx)
	c.Finish()
}

// forget lets a detached c go once nothing of it is in the kernel.
func (l *ringLoop) forget(c *loop.Conn, s *slot, idx uint32) {
	if s.inflight == 0 {
		l.timers.Remove(c)
		l.release(s, idx)
	}
}

func (l *ringLoop) release(s *slot, idx uint32) {
	*s = slot{gen: s.gen + 1}
	l.slots.Free(idx)
	l.conns--
}

// complete handles one completion.
func (l *ringLoop) complete(cq uring.Completion) {
	kind, idx, gen := cq.UserData>>56, uint32(cq.UserData), uint32(cq.UserData>>32)&0xffffff
	switch kind {
	case kAccept:
		l.accepted(cq, idx)
		return
	case kLnPoll:
		l.lnReady(cq, idx)
		return
	case kLnCancel:
		return
	}
	s := l.slots.At(idx)
	if s.c == nil || s.gen&0xffffff != gen {
		panic("async: completion for a connection the loop has let go")
	}
	c := s.c
	switch kind {
	case kRecv:
		l.received(c, s, cq)
	case kPoll:
		s.recv, s.stopRecv = false, false
		s.inflight--
		if cq.Res < 0 {
			if cq.Res != -int32(unix.ECANCELED) {
				c.Fail("read", syscall.Errno(-cq.Res))
			}
			break
		}
		if !c.Reading() {
			break
		}
		n, err := c.Recv(l.rbuf)
		switch {
		case n > 0:
			c.Input(l.rbuf[:n])
		case err == nil:
			c.ReadEOF()
		case err == unix.EAGAIN:
		default:
			c.Fail("read", err)
		}
	case kSend:
		s.inflight--
		s.pin.Unpin()
		l.pins = append(l.pins, s.pin)
		s.pin, s.sending = nil, 0
		switch {
		case cq.Res >= 0:
			c.Sent(int(cq.Res))
		case cq.Res == -int32(unix.ECANCELED):
		default:
			c.Fail("write", syscall.Errno(-cq.Res))
		}
	case kCancel:
		s.inflight--
	}
	l.service(c)
}

// received handles a completion of c's multishot RECV.
func (l *ringLoop) received(c *loop.Conn, s *slot, cq uring.Completion) {
	// The request's last completion is counted before OnData runs: a
	// Detach there waits (Unwatch) for what is still in the kernel.
	last := !cq.More()
	if last {
		s.recv, s.stopRecv = false, false
		s.inflight--
	}
	if bid, ok := cq.Buffer(); ok {
		if cq.Res > 0 {
			l.multiOK = true
			l.bufsUsed = l.now
			if !c.Closing() {
				c.CountRead(int(cq.Res), nil)
				c.Input(l.br.Buf(bid, int(cq.Res)))
			}
		}
		// OnData has returned: the bytes it did not consume were copied.
		l.br.Recycle(bid)
		if late := c.TakeLate(); late != nil {
			// A Detach failed after Unwatch had received these.
			c.Input(late)
		}
	}
	if !last || c.Detached() {
		return
	}
	switch res := cq.Res; {
	case res >= 0:
		if res == 0 {
			c.CountRead(0, nil)
			c.ReadEOF()
		}
		// res > 0 without IORING_CQE_F_MORE: the request ended (the kernel
		// may end one at will); service arms another.
	case res == -int32(unix.ENOBUFS):
		// The ring ran dry; the buffers are back now: service arms again.
	case res == -int32(unix.ECANCELED):
	case res == -int32(unix.EINVAL) && !l.multiOK:
		// A kernel with provided-buffer rings but no multishot RECV
		// (5.19): receive as the fallback does, on every connection.
		l.fallback = true
		if l.rbuf == nil {
			l.rbuf = make([]byte, l.d.eng.Config.ReadBuffer)
		}
	default:
		c.Fail("read", syscall.Errno(-res))
	}
}

// armAccept arms ls's ACCEPT.
func (l *ringLoop) armAccept(ls *lnState) {
	if ls.once {
		l.r.Accept(ls.l.Fd(), unix.SOCK_CLOEXEC, ud(kAccept, ls.idx, 0))
	} else {
		l.r.AcceptMultishot(ls.l.Fd(), unix.SOCK_CLOEXEC, ud(kAccept, ls.idx, 0))
	}
	ls.armed = true
}

// armPoll arms a one-shot POLL_ADD for ls's next connection, in place of
// its ACCEPT while the process is out of descriptors (shed).
func (l *ringLoop) armPoll(ls *lnState) {
	l.r.PollAdd(ls.l.Fd(), unix.POLLIN, ud(kLnPoll, ls.idx, 0))
	ls.armed = true
}

// closeListener stops accepting on ls: its ACCEPT (or POLL_ADD) is
// cancelled, and the duplicate closed once its last completion is reaped.
func (l *ringLoop) closeListener(ls *lnState) {
	if ls.closing {
		return
	}
	ls.closing = true
	if ls.armed {
		l.r.CancelFD(ls.l.Fd(), ud(kLnCancel, 0, 0))
		return
	}
	l.dropListener(ls)
}

// dropListener closes ls, which has nothing in the kernel, and forgets it.
func (l *ringLoop) dropListener(ls *lnState) {
	ls.l.Close()
	l.lns[ls.idx] = nil
	l.liveLns--
}

// accepted handles a completion of listener idx's ACCEPT.
func (l *ringLoop) accepted(cq uring.Completion, idx uint32) {
	ls := l.lns[idx]
	if ls == nil {
		panic("async: completion for a listener the loop has let go")
	}
	if cq.Res >= 0 {
		switch {
		case l.stopping || ls.closing:
			unix.Close(int(cq.Res))
		case !underLimit(int(cq.Res)):
			// A multishot ACCEPT takes RLIMIT_NOFILE when it is armed
			// (io_accept_prep): with the limit lowered since, the kernel
			// hands out descriptors past it. Refuse them as EMFILE would
			// have: the client sees the connection closed.
			l.d.eng.Counters.Rejected.Add(1) // before the client can see it
			unix.Close(int(cq.Res))
		default:
			local, remote := ls.l.Accepted(int(cq.Res))
			l.d.dispatch(l, int(cq.Res), local, remote)
		}
		if cq.More() {
			return
		}
	}
	ls.armed = false
	if ls.closing || l.stopping {
		l.dropListener(ls)
		return
	}
	switch errno := syscall.Errno(-cq.Res); {
	case cq.Res >= 0, errno == unix.ECANCELED, errno == unix.EINTR, errno == unix.ECONNABORTED, errno == unix.EPROTO, errno == unix.EAGAIN:
		l.armAccept(ls)
	case errno == unix.EINVAL && !ls.once:
		// No multishot ACCEPT here (before 5.19): one at a time.
		ls.once = true
		l.armAccept(ls)
	case errno == unix.EMFILE, errno == unix.ENFILE, errno == unix.ENOBUFS, errno == unix.ENOMEM:
		l.shed(ls)
	default:
		ls.l.Fail(os.NewSyscallError("accept4", errno))
		l.dropListener(ls)
	}
}

// underLimit reports whether fd is below the process's RLIMIT_NOFILE.
func underLimit(fd int) bool {
	var lim unix.Rlimit
	return unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil || uint64(fd) < lim.Cur
}

// shed is what a listener does out of descriptors (its ACCEPT failed with
// EMFILE, ENFILE, ENOBUFS or ENOMEM): the Listener's own Accept takes the
// waiting connections (closing them through its spare descriptor while
// none is free) until none waits. The kernel's ACCEPT takes a descriptor
// before it looks at the queue, so while the process is still out of them
// an ACCEPT armed again would fail at once, and again, and the loop would
// spin: unless a connection was accepted, the listener waits for the next
// one with a POLL_ADD (lnReady), and Accept is the one to take it, into a
// descriptor of its own once there is one. With no spare left, accepting
// rests for acceptBackoff.
func (l *ringLoop) shed(ls *lnState) {
	took := false
	for {
		fd, local, remote, err := ls.l.Accept()
		switch {
		case err == nil:
			took = true
			l.d.dispatch(l, fd, local, remote)
			continue
		case err == unix.EAGAIN && took:
			l.armAccept(ls)
		case err == unix.EAGAIN:
			l.armPoll(ls)
		case errors.Is(err, loop.ErrNoDescriptors):
			ls.retryAt = loop.Now() + int64(acceptBackoff)
		default:
			ls.l.Fail(err)
			l.dropListener(ls)
		}
		return
	}
}

// lnReady handles the completion of listener idx's POLL_ADD (armPoll): a
// connection waits, and shed takes it.
func (l *ringLoop) lnReady(cq uring.Completion, idx uint32) {
	ls := l.lns[idx]
	if ls == nil {
		panic("async: completion for a listener the loop has let go")
	}
	ls.armed = false
	switch {
	case ls.closing || l.stopping:
		l.dropListener(ls)
	case cq.Res < 0:
		ls.l.Fail(os.NewSyscallError("poll", syscall.Errno(-cq.Res)))
		l.dropListener(ls)
	default:
		l.shed(ls)
	}
}

// Unwatch is loop.Owner's, for Detach (from within OnOpen or OnData, on the
// loop): nothing of c may stay in the kernel once the descriptor is handed
// over, or the ring would go on receiving what the new Conn must read. So
// it cancels everything on the descriptor and waits, here, for the last
// completion of each. Bytes the RECV brought after those OnData has (this
// turn's later completions, and any reaped while waiting) are kept, in
// order, for the detached Conn (loop.Conn.AddLate). Completions of other
// connections reaped meanwhile are handled after this turn's, in order.
func (l *ringLoop) Unwatch(c *loop.Conn) error {
	s := l.slotOf(c)
	if s == nil {
		return net.ErrClosed
	}
	idx := uint32(c.Tag)
	mine := func(cq uring.Completion) bool {
		kind := cq.UserData >> 56
		return kind != kAccept && kind != kLnCancel && kind != kLnPoll && uint32(cq.UserData) == idx
	}
	if l.pos+1 < len(l.cqes) {
		rest := l.cqes[l.pos+1:]
		keep := rest[:0]
		for _, cq := range rest {
			if mine(cq) {
				l.unwatched(c, s, cq)
			} else {
				keep = append(keep, cq)
			}
		}
		l.cqes = l.cqes[:l.pos+1+len(keep)]
	}
	if s.inflight > 0 && !s.cancel {
		l.r.CancelFD(c.Fd(), ud(kCancel, idx, s.gen))
		s.cancel = true
		s.inflight++
	}
	for s.inflight > 0 {
		l.r.Wait(-1)
		l.scratch = l.r.Reap(l.scratch[:0])
		for _, cq := range l.scratch {
			if mine(cq) {
				l.unwatched(c, s, cq)
			} else {
				l.cqes = append(l.cqes, cq)
			}
		}
	}
	s.cancel = false
	return nil
}

// unwatched handles, for Unwatch, a completion of the connection being
// detached.
func (l *ringLoop) unwatched(c *loop.Conn, s *slot, cq uring.Completion) {
	switch cq.UserData >> 56 {
	case kRecv:
		if bid, ok := cq.Buffer(); ok {
			if cq.Res > 0 {
				c.AddLate(l.br.Buf(bid, int(cq.Res)))
			}
			l.br.Recycle(bid)
		}
		if !cq.More() {
			s.inflight--
			s.recv, s.stopRecv = false, false
		}
	case kPoll:
		s.inflight--
		s.recv, s.stopRecv = false, false
	case kCancel:
		s.inflight--
	case kSend:
		// Detach refuses while output is queued, and a SEND's bytes stay
		// queued until it completes: none is in flight.
		panic("async: SEND in flight on a connection being detached")
	}
}

// Watch is loop.Owner's: Detach failed after Unwatch, and c stays.
func (l *ringLoop) Watch(c *loop.Conn) error {
	s := l.slotOf(c)
	if s == nil {
		return net.ErrClosed
	}
	// What Unwatch kept (c.AddLate) goes to OnData after the current call
	// (received).
	l.service(c)
	return nil
}
