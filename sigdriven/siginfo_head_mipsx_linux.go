//go:build linux && (mips || mipsle || mips64 || mips64le)

package sigdriven

// siginfoHead is the start of siginfo_t, before the union: MIPS has
// si_code before si_errno (__ARCH_HAS_SWAPPED_SIGINFO,
// arch/mips/include/uapi/asm/siginfo.h).
type siginfoHead struct {
	signo int32 // si_signo
	code  int32 // si_code
	errno int32 // si_errno
}
