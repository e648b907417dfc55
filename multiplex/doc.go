// Package multiplex is the third I/O model of Stevens' Unix Network
// Programming (§6.2), I/O multiplexing: one thread blocks in select(2),
// poll(2) or epoll_wait(2) for many descriptors at once, and when the kernel
// says one is ready, a non-blocking read or write does the copy.
//
// # How
//
// Selector is the readiness API on its own, for programs that run their own
// event loop: Add, Modify, Remove, Wait, Wake and Close, over three backends
// (NewEpoll, NewPoll, NewSelect; NewSelector picks epoll). All three answer
// level-triggered; where they differ is listed on Selector.
//
// Poller runs a Selector on a goroutine of its own, which blocks one OS
// thread at a time in the wait (never the Go runtime's netpoller) and wakes
// the Conns waiting on it. A Conn (New, Dial, Listener.Accept) tries its
// system call first and waits on its Poller only after EAGAIN; readiness is
// latched in a one-slot token per direction, so a wake-up that lands
// between the EAGAIN and the wait is kept. With epoll each descriptor is
// registered once, edge-triggered, until it is closed; poll and select watch
// only descriptors that have a waiter, and a new waiter wakes the poller
// thread through an eventfd. The default Poller starts with the first Conn
// and stops, goroutine and descriptors, with the last; NewPoller makes
// others (WithBackend, WithShards, WithLockedThread).
//
// Engine is the same model in the loop shape (see iomodel.Handler): the
// program gets callbacks instead of a goroutine per connection.
// NewEngine starts one loop per CPU, each a goroutine waiting on a
// Selector of its own (epoll by default, registered once per descriptor,
// edge-triggered; poll or select with WithEngineBackend). When it wakes,
// a loop reads each ready socket into its one buffer and calls OnData,
// sends what Writes queued, accepts, and runs its timers (deadlines, idle
// timeouts) from a heap of its own; accepted connections are spread over
// the loops in turn.
//
// # Cost
//
// A wait is one system call on the poller thread for any number of
// descriptors, plus a goroutine wake-up per ready Conn; a waiting call holds
// no OS thread, so many idle Conns cost memory, not threads. epoll's wait is
// O(ready descriptors) and a Send or Recv makes no epoll_ctl call. poll and
// select pass and scan every watched descriptor on each wait, O(watched),
// and change their interest list twice per call that waits; select cannot
// hold a descriptor ≥ FD_SETSIZE (1024). The goroutines a wake-up readies
// run on the thread that polled, as under the runtime's own netpoller;
// WithLockedThread pins the poller to one thread, as the textbook draws it,
// at the price of a thread hand-off per wake-up. Send and Recv allocate
// nothing.
//
// An Engine's connection costs no goroutine and no read buffer while it is
// idle: a few hundred bytes of process memory, where a Conn served by a
// goroutine holds at least that goroutine's stack and its buffer. Per message it makes the same
// system calls as a Conn (a read and a write, the wait shared by all that
// are ready) but no goroutine wake-up and no thread hand-off; what is left
// is the kernel's TCP path. Writes never block: what the socket does not
// take is queued, up to EngineConfig.HighWater.
//
// # When
//
// Pick it for many mostly idle connections, when a thread per connection is
// too dear, or to see what the runtime does under net.Conn. Pick the Engine
// over the Conn for many connections that each send small messages (a
// cache, a chat, a game server) or idle most of the time; keep the Conn
// for code written against net.Conn, for long blocking work per request,
// and for protocols whose library wants a net.Conn (crypto/tls,
// net/http), or Detach a connection from the Engine to a Conn when it
// needs one. Regular files
// cannot be multiplexed (they are always ready, see ErrNotPollable): use the
// blocking or async model for them.
//
// # Where
//
// It builds on every platform Go supports and runs on Linux; elsewhere every
// constructor returns an error wrapping errors.ErrUnsupported.
//
// The design note README.md, beside this file, has the measurements and the
// designs tried and dropped.
package multiplex
