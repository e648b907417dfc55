// Package multiplex is the third I/O model of Stevens' Unix Network
// Programming (§6.2): I/O multiplexing. One thread blocks in select(2),
// poll(2) or epoll_wait(2) for many descriptors at once; when the kernel
// says an fd is ready, a non-blocking read or write does the copy.
//
// The package has two layers.
//
// Selector is the readiness API on its own, for programs that write their
// own event loop: Add, Modify, Remove, Wait, Wake and Close, with three
// backends (NewEpoll, NewPoll, NewSelect; NewSelector picks epoll). The
// backends give the same level-triggered answers; the differences are listed
// on Selector.
//
// Poller runs one Selector on a goroutine of its own, which blocks one OS
// thread at a time in the selector's wait (never the Go runtime's
// netpoller), and wakes the Conns that wait on it. With epoll, each fd is
// registered once, edge-triggered, and never touched again until it is
// closed; with poll and select, only fds that have a waiter are watched,
// and a new waiter wakes the poller thread through an eventfd.
// A Conn (New, Dial, Listener.Accept) tries its system call first and waits
// on the Poller only after EAGAIN; readiness is latched in a one-slot token
// per direction, so a wake-up that lands between EAGAIN and the wait is
// kept. The default Poller starts with the first Conn and stops, goroutine and
// fds, with the last; NewPoller makes others, and WithShards spreads one
// Poller over several threads.
//
// Cost: a wait costs one system call on the poller thread for any number of
// fds, plus a goroutine wake-up per ready Conn, and no OS thread per waiting
// call (the blocking model's cost): 5000 Conns waiting in Recv hold one
// poller thread. epoll's wait is O(ready fds) and a Send or Recv makes no
// epoll_ctl call; poll and select pass and scan every watched fd on each
// call, O(watched fds), pay two interest-list changes per wait, and select
// cannot hold fd ≥ FD_SETSIZE (1024). The goroutines a wake-up readies run
// on the thread that polled, as under the runtime's own netpoller, so a
// thousand busy connections, where one wait serves many, come out ahead of
// net.Conn. WithLockedThread pins the poller to one thread, the textbook's
// drawing, at the price of a thread hand-off per wake-up (see README.md for
// the figures).
//
// Pick it for many mostly-idle connections, when a thread per connection is
// too dear, or to see what Go's own runtime does under net.Conn. Regular
// files cannot be multiplexed (they are always "ready"): use the blocking or
// async model for them.
package multiplex
