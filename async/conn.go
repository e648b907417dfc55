package async

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/internal/iofd"
	"github.com/iomodel/iomodel/internal/uring"
)

// maxIO caps one operation at 1 GiB, as every model does.
const maxIO = 1 << 30

// Option configures New, Dial and Listen.
type Option func(*options)

type options struct {
	ring     *Ring
	ringOnly bool
}

// WithRing makes the Conn use r instead of the shared default ring.
func WithRing(r *Ring) Option { return func(o *options) { o.ring = r } }

// WithRingOnly makes every Send and Recv of a socket Conn a request on the
// ring, even when the kernel could complete it at once: the model exactly as
// the textbook draws it, at the price of a hand-off to the ring's thread and
// back on every call. Without it, a call on a socket first tries the copy
// itself (see the package doc, "Speculation").
func WithRingOnly() Option { return func(o *options) { o.ringOnly = true } }

// Conn is a descriptor whose I/O the kernel performs: a Send or Recv that
// cannot finish at once is an io_uring request, and the call sleeps until
// its completion has been reaped (on a socket, a call the kernel can finish
// at once is done on the caller's thread first; see the package doc,
// "Speculation"). It satisfies iomodel.Conn, and net.Conn on sockets. All
// methods are safe for concurrent use.
type Conn struct {
	fd        *iofd.FD
	life      lifecycle
	speculate bool // try Send and Recv with MSG_DONTWAIT before the ring
	// recvWaited: the last Recv was served by the ring (used under
	// fd.Read's lock); while many calls wait, the next goes straight there.
	recvWaited bool
	rq         uring.Req // the Recv request, used under fd.Read's lock
	wq         uring.Req // the Send request, used under fd.Write's lock
}

var (
	_ iomodel.Conn = (*Conn)(nil)
	_ net.Conn     = (*Conn)(nil)
)

// lifecycle is what the ring must do at the end of a descriptor (iofd.Hooks).
type lifecycle struct {
	ring *uring.Ring
	ops  uring.Tracker // SendAsync/RecvAsync requests and Close's cancel by fd, until the ring has reaped them
}

// Evict, in Close, cancels every request on the descriptor
// (IORING_ASYNC_CANCEL_FD|ALL): pending Send and Recv calls, and Ops nobody
// waits for. The cancel counts in ops until the kernel has answered it, so
// Destroy's wait also keeps close(2) from freeing the number while a cancel
// by that number is still on its way to the ring.
func (l *lifecycle) Evict(fd *iofd.FD) { l.ring.CancelFD(fd.Sysfd, &l.ops) }

// Destroy, just before close(2), waits until no request on the descriptor is
// left in the kernel, then lets go of the ring.
func (l *lifecycle) Destroy(fd *iofd.FD) {
	l.ops.Wait()
	l.ring.Release()
}

func acquire(o options) (*uring.Ring, error) {
	if o.ring != nil {
		if !o.ring.r.Acquire() {
			return nil, uring.ErrRingClosed
		}
		return o.ring.r, nil
	}
	return uring.Default()
}

// New makes a Conn of sysfd: a socket (stream, datagram or seqpacket), a
// pipe, or anything read(2) and write(2) work on. The descriptor is put in
// blocking mode (io_uring completes an O_NONBLOCK descriptor's operation with
// EAGAIN instead of waiting for it). On success the Conn owns sysfd; on error
// the caller still does. When io_uring is unavailable, the error wraps
// errors.ErrUnsupported and says why.
//
// On a regular file, Recv and Send read and write at the file position, which
// they advance as read(2) and write(2) do (IORING_FEAT_RW_CUR_POS).
func New(sysfd int, opts ...Option) (*Conn, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	// The descriptor is checked before the ring is taken: starting the
	// default ring opens descriptors, which could take the very number of
	// a closed sysfd and make it look open.
	c := new(Conn)
	fd, err := iofd.New(sysfd, iofd.Config{Model: "async", Mode: iofd.Blocking, Hooks: &c.life})
	if err != nil {
		return nil, err
	}
	r, err := acquire(o)
	if err != nil {
		return nil, iofd.NewError("async", sysfd, err) // fd is dropped unclosed: sysfd is still the caller's
	}
	c.fd, c.life.ring = fd, r
	c.speculate = fd.Kind.IsSocket() && !o.ringOnly
	return c, nil
}

// await submits q and sleeps until it completes. If the descriptor is closed
// or the deadline dl moves or passes meanwhile, it cancels q
// (IORING_OP_ASYNC_CANCEL) and still waits for the completion: when await
// returns, the kernel is done with q and its buffer.
//
// The ring signals the completion on h's wake-up token, which Close and
// SetDeadline signal too, so without a deadline the caller sleeps on that
// one channel. With one, Wait's timer runs beside q's linked timeout, which
// starts only when q reaches the kernel: a request still held in the ring's
// backlog (the CQ is full) must end at its deadline too.
func (c *Conn) await(h *iofd.Half, q *uring.Req, dl int64) (res int32, timedOut bool, err error) {
	q.SetDone(h.Token())
	q.KeepPinned() // unpinned below, off the ring's thread
	if testHookSubmit != nil {
		testHookSubmit(c)
	}
	if err := c.life.ring.Submit(q); err != nil {
		return 0, false, err
	}
	h.Count(0, 1, 0, 0)
	c.life.ring.Spin(q)
	for !q.Completed() {
		h.Wait(0)
		if q.Completed() {
			break
		}
		if c.fd.Closed() || h.Deadline() != dl || h.Expired() {
			c.life.ring.Cancel(q)
			for !q.Completed() {
				<-h.Token()
			}
		}
	}
	q.Unpin()
	res, timedOut = q.Result()
	return res, timedOut, nil
}

// testHookSubmit, when set (by tests only), runs in await just before the
// request is handed to the ring.
var testHookSubmit func(*Conn)

// arm prepares the deadline part of one request: the linked timeout for the
// time left. It reports false if the deadline has already passed.
func arm(q *uring.Req, dl int64) bool {
	if dl == 0 {
		return true
	}
	left := time.Duration(dl - time.Now().UnixNano())
	if left <= 0 {
		return false
	}
	q.SetTimeout(left)
	return true
}

// check is what every call does before each request: a closed Conn or a
// passed deadline ends it, even when data is ready.
func (c *Conn) check(h *iofd.Half) error {
	if c.fd.Closed() {
		return net.ErrClosed
	}
	if h.Expired() {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// Recv reads into p: at least one byte, or io.EOF once the peer has shut
// down a stream. On a socket it first tries recv(2) with MSG_DONTWAIT, and
// if nothing is there it hands the kernel one IORING_OP_RECV; on what is not
// a socket it is one IORING_OP_READ.
func (c *Conn) Recv(p []byte) (int, error) {
	h := &c.fd.Read
	if err := c.fd.Lock(h); err != nil {
		return 0, c.fd.OpError("read", err)
	}
	n, err := c.recv(h, p)
	c.fd.Unlock(h)
	return n, err
}

func (c *Conn) recv(h *iofd.Half, p []byte) (int, error) {
	h.Count(1, 0, 0, 0)
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	q := &c.rq
	for attempt := 0; ; attempt++ {
		if err := c.check(h); err != nil {
			return 0, c.fd.OpError("read", err)
		}
		// Speculate, unless the last Recv had to wait too and many calls
		// are waiting now: then this one most likely waits as well, and
		// goes to the ring without an attempt of ours or of the kernel's
		// (poll first, below): a doomed attempt at submission would run on
		// the ring's thread, the busiest one.
		speculated := c.speculate && !(c.recvWaited && iofd.Crowded())
		if speculated {
			n, err := c.fd.RecvNow(p)
			switch {
			case err == nil && n == 0 && c.fd.Kind != iofd.Datagram:
				c.recvWaited = false
				return 0, io.EOF
			case err == nil:
				c.recvWaited = false
				h.Count(0, 0, 0, uint64(n))
				return n, nil
			case err != unix.EAGAIN:
				return 0, c.fd.OpError("read", os.NewSyscallError("recvfrom", err))
			}
			h.Count(0, 0, 1, 0)
			if iofd.ShouldYield(attempt) {
				iofd.YieldThread() // the answer is often a moment away
				continue
			}
		}
		if c.fd.Kind.IsSocket() {
			q.PrepRecv(c.fd.Sysfd, p, 0)
		} else {
			q.PrepRead(c.fd.Sysfd, p)
		}
		if c.speculate {
			// We just saw EAGAIN, or skipped the attempt because the last
			// Recv waited under load: no point trying before the poll.
			q.SetPollFirst()
		}
		c.recvWaited = c.speculate
		dl := h.Deadline()
		if !arm(q, dl) {
			continue // check reports the deadline
		}
		res, timedOut, err := c.await(h, q, dl)
		switch {
		case err != nil:
			return 0, c.fd.OpError("read", err)
		case res > 0:
			h.Count(0, 0, 0, uint64(res))
			return int(res), nil
		case res == 0 && c.fd.Kind != iofd.Datagram:
			return 0, io.EOF
		case res == 0:
			return 0, nil // an empty datagram
		case timedOut:
			return 0, c.fd.OpError("read", os.ErrDeadlineExceeded)
		case res == -int32(unix.ECANCELED) || res == -int32(unix.EINTR):
			// Closed, deadline passed or moved: check decides, or the call
			// goes on with the new deadline.
		default:
			return 0, c.fd.OpError("read", os.NewSyscallError(c.recvName(), syscall.Errno(-res)))
		}
	}
}

// Send writes p, with MSG_NOSIGNAL: all of p on a stream, one message on a
// datagram or seqpacket socket. On a socket it first tries send(2) with
// MSG_DONTWAIT, and what does not fit goes as IORING_OP_SEND requests; on
// what is not a socket it is IORING_OP_WRITE.
func (c *Conn) Send(p []byte) (int, error) {
	h := &c.fd.Write
	if err := c.fd.Lock(h); err != nil {
		return 0, c.fd.OpError("write", err)
	}
	n, err := c.send(h, p)
	c.fd.Unlock(h)
	return n, err
}

// sendFlags are the SEND flags: MSG_NOSIGNAL, so a gone peer is EPIPE and
// never SIGPIPE. Not MSG_WAITALL: with it io_uring retries a short send
// internally, and a request cancelled after part of its bytes went (a moved
// deadline) would complete with -ECANCELED, losing the count of what was
// sent. One send per request keeps "cancelled" meaning "nothing sent", and
// the loop in send sends the rest.
func (c *Conn) sendFlags() int { return unix.MSG_NOSIGNAL }

func (c *Conn) send(h *iofd.Half, p []byte) (int, error) {
	h.Count(1, 0, 0, 0)
	if len(p) == 0 {
		return 0, nil
	}
	q := &c.wq
	nn := 0
	for attempt := 0; ; attempt++ {
		if err := c.check(h); err != nil {
			return nn, c.fd.OpError("write", err)
		}
		chunk := p[nn:]
		if len(chunk) > maxIO && !c.fd.Kind.Messages() {
			chunk = chunk[:maxIO]
		}
		if c.speculate {
			n, err := c.fd.SendNow(chunk)
			if err == nil {
				nn += n
				h.Count(0, 0, 0, uint64(n))
				if nn == len(p) || c.fd.Kind.Messages() {
					return nn, nil
				}
				attempt = -1 // a short write: the rest goes at once
				continue
			}
			if err != unix.EAGAIN {
				return nn, c.fd.OpError("write", os.NewSyscallError("sendto", err))
			}
			h.Count(0, 0, 1, 0)
			if iofd.ShouldYield(attempt) {
				iofd.YieldThread()
				continue
			}
		}
		pollFirst := c.speculate
		if c.fd.Kind.IsSocket() {
			q.PrepSend(c.fd.Sysfd, chunk, c.sendFlags())
		} else {
			q.PrepWrite(c.fd.Sysfd, chunk)
		}
		if pollFirst {
			q.SetPollFirst() // the speculative send just saw EAGAIN
		}
		dl := h.Deadline()
		if !arm(q, dl) {
			continue
		}
		res, timedOut, err := c.await(h, q, dl)
		if res > 0 {
			nn += int(res)
			h.Count(0, 0, 0, uint64(res))
		}
		switch {
		case err != nil:
			return nn, c.fd.OpError("write", err)
		case res >= 0 && (nn == len(p) || c.fd.Kind.Messages()):
			return nn, nil
		case res >= 0:
			// a short write: send the rest
		case timedOut:
			return nn, c.fd.OpError("write", os.ErrDeadlineExceeded)
		case res == -int32(unix.ECANCELED) || res == -int32(unix.EINTR):
		default:
			return nn, c.fd.OpError("write", os.NewSyscallError(c.sendName(), syscall.Errno(-res)))
		}
	}
}

func (c *Conn) recvName() string {
	if c.fd.Kind.IsSocket() {
		return "recv"
	}
	return "read"
}

func (c *Conn) sendName() string {
	if c.fd.Kind.IsSocket() {
		return "send"
	}
	return "write"
}

// Read is Recv, for io.Reader and net.Conn.
func (c *Conn) Read(p []byte) (int, error) { return c.Recv(p) }

// Write is Send, for io.Writer and net.Conn.
func (c *Conn) Write(p []byte) (int, error) { return c.Send(p) }

// Close cancels every request on the descriptor, waits until none is left in
// the kernel, and closes it once the last call has returned; pending calls
// return an error wrapping net.ErrClosed. A second Close returns such an
// error too.
func (c *Conn) Close() error { return c.fd.Close() }

// LocalAddr is the socket's address, nil for what is not a socket.
func (c *Conn) LocalAddr() net.Addr { return c.fd.LocalAddr() }

// RemoteAddr is the peer's address, nil for what is not a connected socket.
func (c *Conn) RemoteAddr() net.Addr { return c.fd.RemoteAddr() }

// SetDeadline sets the read and write deadlines. A deadline moved while a
// call is pending applies to that call at once: its request is cancelled and
// resubmitted with the new deadline, or ends with os.ErrDeadlineExceeded.
func (c *Conn) SetDeadline(t time.Time) error { return c.setDeadline(t, true, true) }

// SetReadDeadline sets the deadline of Recv (see SetDeadline).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, true, false) }

// SetWriteDeadline sets the deadline of Send (see SetDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, false, true) }

func (c *Conn) setDeadline(t time.Time, read, write bool) error {
	if c.fd.Closed() {
		return c.fd.OpError("set", net.ErrClosed)
	}
	if read {
		c.fd.Read.SetDeadline(t)
	}
	if write {
		c.fd.Write.SetDeadline(t)
	}
	return nil
}

// Stats returns the Conn's counters. Syscalls counts the speculative
// send(2) and recv(2) calls made on the caller's thread plus the requests
// submitted to the ring (whose system calls are the ring's: see RingStats);
// WouldBlock counts the speculative calls that found EAGAIN.
func (c *Conn) Stats() iomodel.Stats { return c.fd.Stats() }

// RingStats returns the counters of the ring this Conn uses, shared with
// every other Conn on it: io_uring_enter calls and operations per enter.
func (c *Conn) RingStats() RingStats { return ringStats(c.life.ring) }

// ErrCanceled is what Op.Wait returns (wrapped in a *net.OpError) for an
// operation Cancel stopped before it moved any byte.
var ErrCanceled = errors.New("operation canceled")

// CloseWrite shuts down the sending side of a socket (shutdown(2)): the
// peer reads io.EOF after what was sent, and Recv still works. It is what
// net.TCPConn's CloseWrite does, for half-closing protocols.
func (c *Conn) CloseWrite() error { return c.fd.CloseWrite() }
