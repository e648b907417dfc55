// Package stormtest holds the fault-load checks the Conn-shaped models
// share: healthy clients beside a storm of connections reset as fast as
// they open, on a model's Listener and on package net's in the same run.
package stormtest
