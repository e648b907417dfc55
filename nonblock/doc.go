// Package nonblock is the second of Stevens' five I/O models: a call never
// sleeps in the kernel. When there is no data (or no room) the kernel says
// EAGAIN at once, and the caller decides how to wait before asking again.
//
// How it works: sockets get MSG_DONTWAIT on every recv(2) and send(2), so
// the descriptor's shared open file description keeps its flags; pipes,
// FIFOs and ttys, whose read(2) and write(2) have no per-call flag, get
// O_NONBLOCK. TrySend and TryRecv are the model in its bare form: one
// system call, and ErrWouldBlock if the kernel had nothing. Send and Recv
// loop over EAGAIN under a Policy: retry at once a few times (spin), then
// retry after runtime.Gosched (yield), then hand the wait to the package's
// poller, Stevens' "while (1)" over the devices: one goroutine that asks
// every waiting descriptor in turn, with poll(2) and a zero timeout (an
// answer at once, never a sleep in the kernel), and wakes the call whose
// descriptor is ready, which then makes its system call again. Between
// turns that found nothing the poller naps, from the Policy's MinSleep
// doubling to its MaxSleep. Close and deadlines reach a waiting call at
// once.
//
// What it costs: no thread sleeps in the kernel, but the process does not
// learn when data arrives; it finds out by asking. Spinning buys latency
// with CPU, sleeping buys CPU with latency, and every "not yet" is a system
// call. The Stats' WouldBlock counter shows how many a call made itself.
// The poller bounds what asking costs however many calls wait: a call
// that has just begun to wait is asked on every turn, one that has waited
// longer than MaxSleep in rounds over all of them, and after each round
// the poller naps at least three times what the round took, so it spends
// at most a quarter of its time, and of a CPU, asking. With 5000 Reads
// waiting on TCP sockets for data that never comes the process took 4–26 %
// of a CPU on a shared 2-CPU machine, and the waiting calls themselves
// were never woken (`go test -run AcceptWithManyWaiting -v ./nonblock`
// logs both); when each call asked on its own back-off, they were woken
// 100 000 to 170 000 times a second and took all the CPU they were given.
// The price is latency: with thousands waiting, a call that has waited a
// while is asked every few milliseconds, not every MaxSleep.
//
// When to pick it: polling a few descriptors from a loop that has other work
// to do (a game loop, a simulation step), or when the wait is known to be
// short; for many idle connections, pick multiplex, sigdriven or async.
//
// The default Policy (see DefaultPolicy) answers a peer that replies within
// tens of microseconds without sleeping, and keeps the cost of an idle Recv
// small; the measurements behind it are in the design note, README.md
// beside this file.
//
// The loop shape: NewEngine serves the model as the seed draws it, loops
// that ask every connection in turn (recv(2) with MSG_DONTWAIT) and call a
// Handler with what they got (see iomodel.Handler), and that back off under
// an EnginePolicy when a whole round found nothing. Under load it costs no
// more CPU per message than a Conn, and less with fewer connections (no
// goroutine and no back-off sleep per connection, one read buffer per
// loop), and it serves every connection once per round, the fairest of the
// shapes. But every round asks the idle connections too: an idle Engine
// spends about one recv(2) per connection per nap (2 ms by default), a
// steady share of a CPU that grows with the connection count (1000 idle
// connections took 19-23% of one CPU, their Conns 25-55%; the command is in
// the design note), where an idle Conn spends one per its own back-off.
// Pick the Engine for a moderate number of busy connections, or when the
// loop has other work to interleave with the asking; for many mostly idle
// connections pick multiplex, sigdriven or async, whose Engines sleep until
// the kernel reports readiness.
//
// The package builds on every platform Go supports, so that programs that
// import it build everywhere; it runs on Linux, and elsewhere New, Dial and
// Listen fail with an error wrapping errors.ErrUnsupported.
package nonblock
