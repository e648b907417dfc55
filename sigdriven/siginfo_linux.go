package sigdriven

import "unsafe"

// signalfdSiginfo mirrors struct signalfd_siginfo of <linux/signalfd.h>
// (signalfd(2)): what one read(2) of a signalfd returns per signal, 128
// bytes. The field names are the header's without the ssi_ prefix.
type signalfdSiginfo struct {
	signo    uint32 // ssi_signo
	errno    int32  // ssi_errno
	code     int32  // ssi_code: POLL_IN..POLL_HUP for readiness, SI_QUEUE, SI_TKILL, SI_KERNEL, ...
	pid      uint32 // ssi_pid
	uid      uint32 // ssi_uid
	fd       int32  // ssi_fd: the descriptor a readiness signal is about (F_SETSIG)
	tid      uint32 // ssi_tid
	band     uint32 // ssi_band: POLL* bits (poll(2)) of the readiness event
	overrun  uint32 // ssi_overrun
	trapno   uint32 // ssi_trapno
	status   int32  // ssi_status
	int      int32  // ssi_int
	ptr      uint64 // ssi_ptr: sigval of sigqueue(3)/rt_tgsigqueueinfo(2)
	utime    uint64 // ssi_utime
	stime    uint64 // ssi_stime
	addr     uint64 // ssi_addr
	addrLSB  uint16 // ssi_addr_lsb
	_        uint16 // __pad2
	syscall  int32  // ssi_syscall
	callAddr uint64 // ssi_call_addr
	arch     uint32 // ssi_arch
	_        [28]uint8
}

const sizeofSignalfdSiginfo = int(unsafe.Sizeof(signalfdSiginfo{}))

// siginfo is the start of siginfo_t (<asm-generic/siginfo.h>) as
// rt_tgsigqueueinfo(2) takes it, with the _rt member of the union: the only
// one this package sends. 128 bytes, like the kernel's.
type siginfo struct {
	signo int32  // si_signo
	errno int32  // si_errno
	code  int32  // si_code
	_     int32  // the union is 8-aligned on 64-bit
	pid   int32  // _rt.si_pid
	uid   uint32 // _rt.si_uid
	value uint64 // _rt.si_sigval
	_     [96]byte
}

// si_code values (<asm-generic/siginfo.h>).
const (
	siUser   = 0    // SI_USER: kill(2)
	siKernel = 0x80 // SI_KERNEL
	siQueue  = -1   // SI_QUEUE: sigqueue(3), rt_tgsigqueueinfo(2)
	siTkill  = -6   // SI_TKILL: tgkill(2)
	pollIn   = 1    // POLL_IN: the first of the six SIGPOLL codes
	pollHup  = 6    // POLL_HUP: the last
)

// fcntl(2) owner types for F_SETOWN_EX (<linux/fcntl.h>; x/sys/unix has
// the commands but not these).
const (
	fOwnerTID = 0 // F_OWNER_TID: signal exactly this thread
	fOwnerPID = 1 // F_OWNER_PID: signal the process (any thread)
)

// fOwnerEx mirrors struct f_owner_ex.
type fOwnerEx struct {
	typ int32
	pid int32
}
