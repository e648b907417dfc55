// Package loop is what every model's Engine (the loop shape, see
// iomodel.Handler) shares, written once: the connection a Handler sees
// (Conn: its state, the input it held back, its bounded write queue, its
// deadlines, its Stats), the per-loop timers, the listener an Engine
// accepts on (a duplicate of the caller's, with a reserve descriptor for
// EMFILE), the Engine's counters and its Serve/Shutdown life cycle, and the
// readiness loop that the multiplex, nonblock and sigdriven engines run,
// each of them only a Backend: how the model waits.
//
// The pieces and who uses them:
//
//   - Engine: NewEngine checks the Handler and EngineConfig, and Serve,
//     Shutdown and Stats are the same for every model. What is particular
//     to a model is its Driver: how it runs loops, accepts and stops.
//   - Readiness (readiness.go) is the Driver of the readiness models: one
//     goroutine per loop waits on a Backend (add, modify, remove interest;
//     wait; wake, as Redis's aeApi) and reads, flushes, accepts and fires
//     timers. A model supplies only its Backend.
//   - Conn is the iomodel.EventConn of every engine. Its Handler-facing
//     methods are safe from any goroutine; its loop-facing methods (Open,
//     Input, Flush, Head, Sent, Expire, Finish ...) are called by the one
//     goroutine that owns it (its Owner), which the completion (async) and
//     thread-per-connection (blocking) engines drive their own way.
//   - Timers is a heap of Conns by their next deadline, kept by the loop;
//     no runtime timer per connection.
//   - Listener is an Engine's own duplicate of a net.Listener's socket;
//     Accept returns connected descriptors and survives EMFILE without
//     spinning.
//
// A Conn moves through three states: open (reading and writing), closing
// (Close was called, the peer shut down or a deadline passed: nothing more
// is read, queued output is flushed for at most FlushTimeout) and closed
// (the descriptor is closed and OnClose has run); or it leaves the loop by
// Detach. A socket error or a forced shutdown goes from open to closed at
// once, dropping the queue.
package loop
