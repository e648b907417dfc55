// Package sigdriven is the signal-driven I/O model of UNP 6.2: the kernel
// sends a signal when a descriptor becomes ready, and the program reads or
// writes then, instead of sleeping in read(2) (blocking), asking again
// (nonblock) or sleeping in epoll_wait(2) (multiplex).
//
// # How it works
//
// New(fd) arms the descriptor with fcntl(2): F_SETSIG picks a real-time
// signal (DefaultSignal, or WithSignal), F_SETOWN_EX with F_OWNER_TID aims
// it at one thread, the dispatcher, and O_ASYNC switches it on. O_ASYNC is
// read back, because the kernel silently drops it where the driver cannot
// signal: regular files are refused with ErrNoAsync; sockets, pipes, FIFOs
// and ttys work.
//
// The dispatcher is one goroutine locked to its OS thread, started by the
// first New and given back by the last Close. It blocks its signal and
// SIGIO on that thread alone (pthread_sigmask(3)), so the kernel queues
// them there, and reads them from a signalfd(2): no handler, no netpoller.
// A real-time signal queues once per event with si_fd (which descriptor)
// and si_band (which direction), so each one wakes exactly one direction
// of one Conn. Send, Recv, Accept and Dial's connect try their system call
// at once and, on EAGAIN, park (as goroutines, on no thread of their own)
// until the dispatcher wakes them, the deadline passes or Close is called.
//
// Descriptor numbers are reused while signals for a closed one may still
// wait in the queue: before close(2) a Conn is disarmed and a marker is
// queued behind them, and what was queued before it is dropped as stale.
// When the real-time queue is full (RLIMIT_SIGPENDING) the kernel sends
// plain SIGIO, which names nothing: the dispatcher wakes every waiter, each
// retries, and nothing is lost. WithBroadcast is the classic way, plain
// SIGIO to the process through os/signal, every waiter woken by every
// signal: the thundering herd that si_fd avoids, kept to be measured.
//
// # Cost
//
// One thread for any number of descriptors; Send and Recv allocate
// nothing. Each readiness event costs a queued signal, a read of the
// signalfd and a wake-up handed from the dispatcher's thread to another:
// one thread hop more than the runtime's netpoller, the same as an epoll
// thread's. Arming and disarming cost a few fcntl(2) calls and one queued
// marker per Conn. A dispatcher that falls RLIMIT_SIGPENDING signals
// behind degrades to waking everyone on each SIGIO until it catches up;
// broadcast mode always pays that. The benchmarks (BenchmarkRoundTrip64,
// BenchmarkSpread1000, BenchmarkHerd1000) show each of these; figures and
// the designs tried are in the design note, README.md beside this file.
//
// # When to pick it
//
// When no call may sleep in the kernel and the kernel should say which
// descriptor is ready, without an epoll set: the signal queue is the
// readiness list. On Linux, epoll (package multiplex) does the same with
// fewer moving parts and no per-user queue limit; this package shows how
// the older mechanism is made exact, what it costs, and how it overflows
// and recovers. The process's signal use must leave the chosen real-time
// signal to it.
//
// # The loop shape
//
// NewEngine serves the same model as loops that call a Handler (see
// iomodel.Handler): each loop is a goroutine locked to a thread of its own,
// which blocks the Engine's signal and SIGIO and reads them from its
// signalfd, and every connection it owns is armed to signal that thread.
// The signal queue is then the loop's readiness list: a batch read of the
// signalfd names the descriptors to read, and the loop reads them into its
// one buffer and calls OnData, with no hop to another goroutine. Against a
// Conn it saves the dispatcher's wake-up hand-off and a goroutine and
// buffer per connection: about three quarters of the CPU per message, the
// same as multiplex's epoll Engine (figures in the design note). It spends
// a few fcntl(2) calls per connection (arm and disarm) that epoll does
// not. When the queue overflows, each SIGIO makes the loop ask
// every connection it owns, so a loop many signals behind slows down with
// its connection count until it catches up, but loses nothing.
//
// Pick the Engine for many connections served by a program written as
// callbacks (a protocol server, a proxy); pick a Conn for code that wants
// a net.Conn (net/http, crypto/tls, io.Copy), or detach one connection of
// the Engine to a Conn when its handler must block.
//
// # Where it runs
//
// It builds on every platform Go supports and runs on Linux (every
// architecture); elsewhere every constructor (New, Dial, Listen, and the
// Dialer's and ListenConfig's) returns an error wrapping
// errors.ErrUnsupported.
package sigdriven
