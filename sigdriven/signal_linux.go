package sigdriven

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigRTMax is the highest signal number on Linux (_NSIG is 64).
const sigRTMax = 64

// checkSignal says why sig cannot be the dispatcher's signal, or nil.
// Real-time signals queue one instance per event with its siginfo
// (signal(7) "Real-time signals"); standard ones merge, which is the whole
// point of F_SETSIG.
func checkSignal(sig int) error {
	switch {
	case sig < 1 || sig > sigRTMax:
		return fmt.Errorf("%w: %d is not a signal number (Linux has 1-%d)", ErrBadSignal, sig, sigRTMax)
	case sig == int(unix.SIGURG):
		return fmt.Errorf("%w: %d (SIGURG) is owned by the Go runtime, which preempts goroutines with it; choose a real-time signal from 35 to %d", ErrBadSignal, sig, sigRTMax)
	case sig < 32:
		return fmt.Errorf("%w: %d (%v) is a standard signal: it does not queue one instance per event, and the Go runtime handles it; choose a real-time signal from 35 to %d", ErrBadSignal, sig, unix.SignalName(unix.Signal(sig)), sigRTMax)
	case sig <= 34:
		return fmt.Errorf("%w: %d is owned by libc (glibc uses 32 and 33 for thread cancellation and setxid, musl 34), and the Go runtime keeps it unblocked; choose a real-time signal from 35 to %d", ErrBadSignal, sig, sigRTMax)
	}
	return nil
}

// sigaddset adds sig to set, as sigaddset(3) does. The words of
// unix.Sigset_t are a long's size: 64 bits, or 32 on 386 and arm, where a
// 64-bit shift would silently drop every signal above 32.
func sigaddset(set *unix.Sigset_t, sig int) {
	const bits = uint(8 * unsafe.Sizeof(set.Val[0]))
	set.Val[uint(sig-1)/bits] |= 1 << (uint(sig-1) % bits)
}

// sigismember reports whether sig is in the 64-bit mask m, the form of
// SigBlk and SigPnd in /proc/PID/task/TID/status (proc(5)).
func sigismember(m uint64, sig int) bool { return m&(1<<(uint(sig-1)%64)) != 0 }
