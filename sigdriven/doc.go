// Package sigdriven is the signal-driven I/O model of UNP 6.2: the kernel
// sends a signal when a descriptor becomes ready, and the program reads or
// writes then, instead of sleeping in read(2) (blocking), asking again
// (nonblock) or sleeping in epoll_wait(2) (multiplex).
//
// # How it works
//
// New(fd) arms the descriptor with three fcntl(2) commands: F_SETSIG sets a
// real-time signal (DefaultSignal, or WithSignal) instead of SIGIO;
// F_SETOWN_EX with F_OWNER_TID directs it at one thread, the dispatcher;
// F_SETFL O_ASYNC switches it on. O_ASYNC is then read back with F_GETFL,
// because the kernel silently ignores it on descriptors whose driver has no
// fasync support: regular files are refused with ErrNoAsync (sockets, pipes,
// FIFOs and ttys work).
//
// The dispatcher is one goroutine locked to its OS thread (started by the
// first New, given back by the last Close). It blocks its signal and SIGIO
// with pthread_sigmask(3) on that thread only, so the kernel queues them on
// the thread instead of running a handler, and reads them from a
// signalfd(2) in a blocking read(2): no handler, no netpoller, one sleeping
// thread for any number of descriptors. Signals that arrive while it is
// busy wait in its queue. Send and Recv try their system call at once; on
// EAGAIN they sleep (as goroutines, on no thread of their own) until the
// dispatcher wakes them.
//
// # Why si_fd matters
//
// Plain SIGIO names nothing: the program must retry every descriptor it
// has, and standard signals merge while pending (signal(7)), so two events
// make one signal. A real-time signal set with F_SETSIG is queued once per
// event and carries si_fd (which descriptor) and si_band (POLL_IN, POLL_OUT,
// POLLHUP, POLLERR): each signal wakes exactly one direction of one Conn.
// WithBroadcast keeps the classic way (plain SIGIO through os/signal, every
// waiter woken by every signal) to measure the difference.
//
// A signal names a descriptor number, and numbers are reused: a Conn can be
// closed, and its number handed to a new Conn, while signals for the old
// one still wait in the queue. Before close(2) a Conn is disarmed (O_ASYNC
// off, so nothing more is queued for it) and a marker signal is queued
// behind what is there; signals for that number read before the marker are
// dropped as stale (SignalStats.Stale), and the new Conn's signals, queued
// after it, all arrive.
//
// # Overflow
//
// Real-time signals queue up to RLIMIT_SIGPENDING per user (getrlimit(2)).
// When the queue is full the kernel sends plain SIGIO instead, which names
// no descriptor; the dispatcher then wakes every waiter, each retries its
// system call, and nothing is lost (SignalStats.Overflows counts these).
// A process-wide SIGIO that the dispatcher's signalfd happens to read
// (someone's signal.Notify(SIGIO), broadcast mode) is sent on to the main
// thread, so os/signal still delivers it.
//
// # Cost
//
// One thread for all descriptors; Send and Recv allocate nothing. Each
// readiness event costs a signal (queued in the kernel, 128 bytes read from
// the signalfd) and a wake-up handed from the dispatcher thread to the
// goroutine's thread: one thread hop more than the runtime's netpoller,
// whose waiting thread runs the woken goroutine itself, and the same hop
// as package multiplex's epoll thread. So a request/response round trip
// on one connection is slower than net.Conn (BenchmarkRoundTrip64), while
// 1000 busy connections cost one signal and about one wake-up per message
// (BenchmarkSpread1000). Broadcast mode pays for its blindness instead:
// with 1000 sleeping readers, each message wakes all of them
// (BenchmarkHerd1000). Arming and disarming cost a few fcntl(2) calls and
// one queued marker per Conn. The dispatcher must keep up with the signal
// rate: when it falls behind by RLIMIT_SIGPENDING signals, precise mode
// degrades to waking everyone on each SIGIO until it catches up.
//
// # When to pick it
//
// When the program must not sleep in the kernel on any descriptor and wants
// the kernel to say which one is ready, without an epoll set: the signal
// queue is the readiness list. On Linux, epoll (package multiplex) does the
// same job with fewer moving parts and no per-user queue limit; this
// package shows how the older mechanism can be made exact, what it costs,
// and how it fails (overflow) and recovers.
//
// The package is Linux only.
package sigdriven
