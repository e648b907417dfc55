// Package resp is the tool's small key-value server speaking the Redis
// protocol (RESP2): PING, ECHO, SET, GET, DEL, EXISTS, and the answers to
// COMMAND, CONFIG GET, SELECT, QUIT that redis-cli and redis-benchmark ask
// at start. Requests come as RESP arrays (what redis-cli and
// redis-benchmark send) or as inline lines (what nc or telnet send),
// pipelined as deep as the client likes.
//
// The parser and executor are written once (Session.Feed: every whole
// command at the front of a buffer, its replies appended to another) and
// served two ways: Handler drives it from a model's Engine, the loop shape,
// keeping a partial command in the loop's buffer by consuming only whole
// ones; Stream keeps the partial command itself, for a goroutine per
// connection on a model's Conn or a net.Conn (ServeConn).
//
// The values live in a Store: a map split into shards, each behind its own
// mutex. Nothing expires and nothing is saved.
//
// It is part of the iomodel tool; it is not an API of the library.
package resp
