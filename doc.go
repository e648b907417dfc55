// Package iomodel makes the five I/O models of Stevens' Unix Network
// Programming (chapter 6) real, measurable and interchangeable in Go on
// Linux. Each model is a package whose Conn is built from a raw file
// descriptor and driven with raw system calls, never through the Go
// runtime's network poller; all of them satisfy this package's Conn (and
// net.Conn on sockets), so a program picks its model by import path.
//
//	model      package    waits by                      kernel tells you       costs                                  pick it for
//	---------  ---------  ----------------------------  ---------------------  -------------------------------------  ------------------------------------------
//	blocking   blocking   sleeping in read/write        nothing: call returns  one OS thread per waiting call         few connections, simple code, files
//	                                                    when done
//	nonblock   nonblock   asking again after EAGAIN,    nothing: you ask       a system call per "not yet"; CPU or    polling from a loop with other work
//	                      under a back-off policy       again                  latency, by policy
//	multiplex  multiplex  one thread in select, poll    "ready", for a set     one thread for many fds; a readiness   many connections: servers, proxies
//	                      or epoll_wait for many fds    of fds                 step and a wake-up per wait
//	sigdriven  sigdriven  a real-time signal per        "ready", by signal     a signal and a hand-off per            when nothing may block or poll; to see
//	                      readiness, read on one thread (si_fd, si_band)       readiness; queue limits                why this model is rare
//	async      async      io_uring: the kernel does     "done", by completion  a ring per process; batched            many operations in flight from one
//	                      the copy                                             submissions, pinned buffers            goroutine; fewer syscalls per message
//
// Stevens tells it as five people fishing. The blocking fisher holds the
// rod and waits. The non-blocking one checks the line, walks off, and comes
// back to check again. The multiplexing one watches a dozen rods with bells
// on them from one chair. The signal-driven one goes home and has the rod
// phone when there is a bite. The asynchronous one hires someone who lands
// the fish, cleans it, and delivers it to the door.
//
// The contract every Conn keeps is on the Conn type. The conntest package
// checks it and can check any other implementation. The command
// cmd/iomodel measures the five models side by side against package net on
// the machine it runs on.
//
// # Where a model is not net
//
// A model's Conn, Listener and PacketConn have the methods of net's, so
// code that takes net.Conn, net.Listener or net.PacketConn takes them:
// net/http, crypto/tls, grpc-go, gorilla/websocket, miekg/dns and quic-go
// (which reads in batches through PacketConn.ReadBatch) all run on every
// model. Code that asserts one of net's concrete types cannot see a model
// there, and quietly does less; where it matters, do the same yourself:
//
//   - grpc-go sets TCP_USER_TIMEOUT, the bound on a dead peer, only on a
//     *net.TCPConn. Set it with ListenConfig.Control and Dialer.Control
//     (accepted connections inherit the listener's); see
//     Example (TcpUserTimeout).
//   - miekg/dns answers from the address a query came to (IP_PKTINFO)
//     only on a *net.UDPConn: on a model's PacketConn listening on a
//     wildcard address it answers from whichever address the kernel
//     picks, which a resolver that asked another rejects. Listen on each
//     address instead (ListenPacket("udp", "192.0.2.1:53"), one
//     dns.Server per address).
//   - net.Buffers.WriteTo writes buffer by buffer (the interface it looks
//     for is unexported); call the Conn's WriteBuffers for writev(2).
//   - Dial and Dialer.DialContext return a *Conn on every network. On
//     "udp" and "unixgram" it is a net.Conn but not a net.PacketConn (its
//     ReadFrom and WriteTo are a stream's io.ReaderFrom and io.WriterTo);
//     the package-level DialContext and Dialer.DialPacket return the
//     *PacketConn that is both, as net's Dial("udp") result is.
//
// Platforms: the module builds on every Go port, so that a program that
// imports it builds everywhere; the models run on Linux (amd64, arm64, 386,
// arm and the other Linux ports), and elsewhere every constructor returns
// an error wrapping errors.ErrUnsupported that names the model and the
// platform.
package iomodel
