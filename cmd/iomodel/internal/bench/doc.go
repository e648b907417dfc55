// Package bench measures one model against the echo Peer: round-trip
// latency on one connection, stream throughput on one connection, and
// messages per second over many connections at once, with the CPU time,
// OS threads, system calls and wake-ups that cost.
//
// It is part of the iomodel tool, which runs on Linux only; elsewhere the
// package is empty.
package bench
