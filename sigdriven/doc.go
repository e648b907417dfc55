// Package sigdriven is the signal-driven I/O model of UNP 6.2: the kernel
// sends a signal when a descriptor becomes ready, and the program reads or
// writes then.
//
// Plain SIGIO says neither which descriptor is ready nor survives merging,
// so this package does it properly: each descriptor is armed (fcntl(2))
// with F_SETSIG (a real-time signal, which queues one instance per event
// with si_fd and si_band), F_SETOWN_EX F_OWNER_TID (one dispatcher thread)
// and O_ASYNC. The dispatcher is a goroutine locked to its OS thread that
// blocks that signal and SIGIO and reads them from a signalfd(2); each
// signal wakes exactly the descriptor and direction it names.
//
// The package is Linux only.
package sigdriven
