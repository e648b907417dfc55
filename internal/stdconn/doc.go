// Package stdconn runs the standard library's own conformance suite for
// net.Conn (golang.org/x/net/nettest.TestConn) on every model's Dial and
// Listen, over unix, unixpacket and tcp, with package net itself as the
// control. It holds only tests.
package stdconn
