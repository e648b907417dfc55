package multiplex

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Events is a set of readiness conditions: what Add and Modify ask for, and
// what Wait reports.
type Events uint32

const (
	// Readable: a read (or accept) would not block.
	Readable Events = 1 << iota
	// Writable: a write (or the completion of a connect) would not block.
	Writable
	// HangUp (reported only): the peer shut down its side or the connection
	// is gone; a read returns end-of-file (EPOLLRDHUP, EPOLLHUP, POLLRDHUP,
	// POLLHUP in epoll(7) and poll(2)). select never reports it.
	HangUp
	// Error (reported only): an error is pending on the fd; the next read
	// or write returns it (EPOLLERR, POLLERR, POLLNVAL). select never
	// reports it.
	Error
	// EdgeTriggered (asked only, epoll only): report a condition once when it
	// becomes true, not for as long as it stays true (EPOLLET, epoll(7)).
	// The poll and select backends refuse it with an error wrapping
	// errors.ErrUnsupported.
	EdgeTriggered
)

// interest is the part of Events a caller may ask for.
const interest = Readable | Writable | EdgeTriggered

// String lists the set bits, as "Readable|Writable".
func (e Events) String() string {
	if e == 0 {
		return "0"
	}
	var b strings.Builder
	for i, name := range [...]string{"Readable", "Writable", "HangUp", "Error", "EdgeTriggered"} {
		if e&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(name)
		}
	}
	if rest := e &^ (1<<5 - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%#x", uint32(rest))
	}
	return b.String()
}

// An Event is one fd's readiness, as Wait reports it.
type Event struct {
	// Tag is the value given to Add or Modify for the fd.
	Tag uint64
	// Events is what the fd is ready for. Readable and Writable come only
	// for what was asked, except that on an error or hang-up the epoll and
	// poll backends report both directions, because both would return at
	// once.
	Events Events
}

// WakeTag is reserved: Add and Modify refuse it. (The epoll backend uses it
// for its own eventfd.)
const WakeTag uint64 = math.MaxUint64

// Backend names a readiness system call.
type Backend int

const (
	// Epoll is epoll(7): the kernel keeps the interest list, and a wait costs
	// O(ready fds). The default.
	Epoll Backend = iota
	// Poll is poll(2): the interest list is passed on every wait, which
	// costs O(watched fds).
	Poll
	// Select is select(2): like poll, in fixed bitmaps that cannot hold an
	// fd ≥ FD_SETSIZE (1024).
	Select
)

// String returns "epoll", "poll" or "select".
func (b Backend) String() string {
	switch b {
	case Epoll:
		return "epoll"
	case Poll:
		return "poll"
	case Select:
		return "select"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// A Selector tells which of a set of fds are ready for I/O: the readiness
// API of the multiplex model, for programs that run their own event loop
// (the role of Python's selectors and Rust mio's Poll).
//
// Readiness is level-triggered in every backend: Wait reports an fd for as
// long as the condition holds. Only epoll can instead report edges, when
// asked with EdgeTriggered.
//
// All methods are safe for concurrent use. A change made by Add, Modify or
// Remove while another goroutine is in Wait takes effect in that Wait (the
// poll and select backends wake it to rebuild their sets). Calls to Wait are
// serialized. An event already collected by a Wait may still be reported
// after a concurrent Remove: compare tags if that matters.
//
// Where the backends differ:
//   - An fd registered with no events (0) is reported by epoll when it hangs
//     up or has an error, as the kernel always reports those (epoll_ctl(2));
//     poll and select leave it out entirely.
//   - select refuses fd ≥ FD_SETSIZE (1024) and reports only Readable and
//     Writable; an error or hang-up shows up as readiness.
//   - An fd closed while registered: epoll forgets it silently once the last
//     descriptor for its open file is gone (epoll(7), Q6); poll reports
//     Error (POLLNVAL); select fails the whole Wait with EBADF. Remove an
//     fd before closing it.
type Selector interface {
	// Add starts watching fd for events, reporting them with tag. It fails
	// with EEXIST if fd is already registered, and for an fd that cannot be
	// multiplexed (see ErrNotPollable, ErrFDSetSize).
	Add(fd int, events Events, tag uint64) error
	// Modify changes what fd is watched for and its tag. It fails with
	// ENOENT if fd is not registered.
	Modify(fd int, events Events, tag uint64) error
	// Remove stops watching fd. Call it before closing fd.
	Remove(fd int) error
	// Wait blocks until an fd is ready, timeout passes, or Wake is called,
	// and stores up to len(events) events. A negative timeout waits
	// forever; zero does not wait. It returns 0, nil on timeout and after a
	// Wake. It retries EINTR and allocates nothing once its buffers have
	// grown to len(events).
	Wait(events []Event, timeout time.Duration) (n int, err error)
	// Wake makes the current Wait return, or the next one if none is
	// running. Wakes that arrive before Wait returns are coalesced into
	// one eventfd write.
	Wake() error
	// Close releases the selector's fds. A Wait in progress returns an
	// error wrapping net.ErrClosed, as does every later call.
	Close() error
	// Backend tells which system call the selector uses.
	Backend() Backend
}

// NewSelector returns a Selector using the best backend, epoll.
func NewSelector() (Selector, error) { return openSelector(Epoll, "NewSelector") }

// NewEpoll returns a Selector on epoll(7).
func NewEpoll() (Selector, error) { return openSelector(Epoll, "NewEpoll") }

// NewPoll returns a Selector on poll(2).
func NewPoll() (Selector, error) { return openSelector(Poll, "NewPoll") }

// NewSelect returns a Selector on select(2). It fails if its own eventfd
// does not fit below FD_SETSIZE.
func NewSelect() (Selector, error) { return openSelector(Select, "NewSelect") }

var (
	// ErrNotPollable is wrapped by the error Add returns for an fd whose
	// kind cannot be multiplexed: a regular file or a directory is always
	// ready for I/O, so epoll_ctl(2) refuses it with EPERM, and poll and
	// select refuse it too. Use the blocking or async model for files.
	ErrNotPollable = errors.New("fd cannot be multiplexed")
	// ErrFDSetSize is wrapped by the error the select backend returns for
	// an fd ≥ FD_SETSIZE (1024), which select(2) cannot watch.
	ErrFDSetSize = errors.New("fd does not fit in select's FD_SETSIZE (1024)")
)
