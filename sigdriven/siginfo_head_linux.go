//go:build linux && !(mips || mipsle || mips64 || mips64le)

package sigdriven

// siginfoHead is the start of siginfo_t, before the union
// (<asm-generic/siginfo.h>, __SIGINFO).
type siginfoHead struct {
	signo int32 // si_signo
	errno int32 // si_errno
	code  int32 // si_code
}
