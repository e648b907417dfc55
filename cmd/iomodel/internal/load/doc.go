// Package load is the real-workload benchmark of `iomodel load`: net/http
// and a plain echo served on each model's Listener and on package net's,
// driven by wrk (a load generator this project did not write) or, for the
// echo, by a client of ours on package net in another process; wrk's
// report parsed; the runs folded into medians and ratios to net.
//
// It is part of the iomodel tool, which runs on Linux only; elsewhere the
// package is empty.
package load
