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
// Platforms: the module builds on every Go port, so that a program that
// imports it builds everywhere; the models run on Linux (amd64, arm64, 386,
// arm and the other Linux ports), and elsewhere every constructor returns
// an error wrapping errors.ErrUnsupported that names the model and the
// platform.
package iomodel
