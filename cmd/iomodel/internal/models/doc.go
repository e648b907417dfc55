// Package models is the tool's table of I/O models: for each one, how to
// start it (its poller, ring or dispatcher, with the options that make it that
// variant) and, once started, how to make a Conn from a descriptor, dial and
// listen. Adding a model to the tool is one entry in [table].
//
// It is part of the iomodel tool, which runs on Linux only; elsewhere the
// package is empty.
package models
