// Package modeltest holds what the model packages' tests share and
// conntest does not offer its users: an Engine served on a loopback
// listener and shut down, bounded, when the test ends (Serve), an echo
// Handler that reports its connections (Echo), a model's NewEngine in
// conntest's shape (Of), bounded waits (Within, Group), a descriptor
// table filled to its limit (FillDescriptors), and a wake-up raced against
// its sleeper, round after round (WakeRounds).
//
// Every wait here is bounded; one that runs out fails the test with a
// message naming what it waited for.
package modeltest
