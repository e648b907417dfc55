// Package benchkit is what every model's benchmarks share: a blocking echo
// peer on its own thread, the standard library's net.Conn on the same kind
// of socketpair as the baseline, and the round-trip and stream loops, so that
// every model is measured by the same code against the same peer.
//
// The loops drive Linux descriptors (socketpairs, read(2), write(2)), so
// they build on Linux only, where the models run; the package is empty
// elsewhere, and its latency subpackage builds everywhere.
package benchkit
