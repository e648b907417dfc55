// Package sock creates sockets and converts addresses for every model: the
// socket(2)/bind(2)/listen(2) steps of Dial and Listen, the resolution of
// "network, address" pairs the way package net names them, and the
// conversions between unix.Sockaddr and net.Addr.
//
// It never waits: connecting and accepting wait by the model that calls it.
package sock
