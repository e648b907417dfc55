// Package conntest is the conformance suite for iomodel.Conn: every model in
// this module runs it, and so can any other implementation.
//
// Run takes a function that makes a fresh connected pair and runs one named
// subtest per behaviour of the contract (see iomodel.Conn): byte streams and
// message boundaries compared with go-cmp, ping-pong, large transfers,
// concurrent Sends that must not interleave, concurrent Recvs, Close that
// unblocks pending calls, double Close, use after Close, io.EOF and
// EPIPE/ECONNRESET when the peer goes, deadlines, zero-length calls, and no
// descriptor left open. Each subtest runs under a watchdog, so a hang fails
// with the subtest's name and every goroutine's stack instead of stalling the
// test binary.
//
// The list of cases is cases.go, in one place. RunNetwork adds what a
// model's Dial and Listen owe net users, each checked on package net first
// as the control and then on the model: listener deadlines and addresses,
// net's TCP defaults and every option of *net.TCPConn read back with
// getsockopt, SyscallConn, File, and Dialer and ListenConfig semantics
// (cancellation, timeouts, Control, SO_REUSEPORT).
//
// A model declares what it cannot do in Traits (for example that a blocking
// pipe has no deadlines); the suite then skips exactly those checks and
// says why.
//
// The package builds on every platform; its descriptor pairs and socket
// option checks need Linux, and fail or skip elsewhere, as the models do.
//
// FDPairs makes the raw descriptor pairs the suite is usually run on: Unix
// stream, seqpacket and datagram socketpairs, TCP and UDP over loopback, and
// pipes. RunFDs runs the suite on each of them.
package conntest
