package conntest

import "testing"

// ScaleEnv is the environment variable that sets how many idle connections
// RunScale holds open: a number, or "max" for as many as RLIMIT_NOFILE's
// hard limit allows (three quarters of it: 15000 where the hard limit is
// 20000). Unset, RunScale holds the count its caller asks for, sized so
// that an ordinary go test runs in seconds. For example:
//
//	IOMODEL_SCALE=max go test -run 'TestScale' -v ./async
const ScaleEnv = "IOMODEL_SCALE"

// DefaultScale is RunScale's count of idle connections when the caller
// passes 0 and ScaleEnv is unset.
const DefaultScale = 400

// RunScale checks that a model keeps serving while many calls wait. The
// server is the model's: an echo server on pn.Listen, a goroutine per
// connection reading into a 4 KiB buffer and writing back, and a datagram
// echo on pn.ListenPacket("udp") that takes turns among ReadFrom,
// ReadMsgUDP and ReadBatch. The clients are package net's, in a child
// process (this test binary run again for this test alone), so that the
// server may use nearly every descriptor the limit allows: idle of them
// (see ScaleEnv; 0 means DefaultScale) connect and make one 64-byte round
// trip each, then stay idle, every one leaving a Recv parked on the server.
// With all of them parked, the server must still accept new connections
// and answer them (active round trips), answer datagrams, and answer 20 of
// the idle connections sampled again. Then, with RLIMIT_NOFILE's soft limit
// lowered to the descriptors in use, Accept must return EMFILE promptly
// while the connections already open keep being served, and once the
// limit is back the connection left waiting is accepted and answered.
//
// Every step is bounded, and a step that does not finish fails naming it.
// The test raises RLIMIT_NOFILE's soft limit to its hard limit, and Go's
// thread limit (debug.SetMaxThreads) above twice the idle count, for
// models that park a thread per waiting call; both stay raised. It must not
// run in parallel with other tests of the binary: it lowers the process's
// descriptor limit for a moment.
func RunScale(t *testing.T, pn PacketNetwork, idle int) { runScale(t, pn, idle) }
