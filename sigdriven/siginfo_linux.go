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

// siginfo is siginfo_t (<asm-generic/siginfo.h>) as rt_tgsigqueueinfo(2)
// takes it, with the _rt member of the union __sifields: the only one this
// package sends. 128 bytes (SI_MAX_SIZE) on every architecture, but the
// union holds pointers and longs, so it starts at 16 on 64-bit and at 12 on
// 32-bit (386, arm), where si_pid, si_uid and si_sigval therefore sit 4
// bytes lower; and MIPS swaps si_errno and si_code (siginfoHead).
//
// Only sival_int of the union sigval is used: it is at the start of
// si_sigval whatever the pointer size and byte order, and signalfd(2)
// reports it as ssi_int.
type siginfo struct {
	siginfoHead
	_      [ptrSize - 4]byte // to the union's alignment: a long's
	pid    int32             // _rt.si_pid
	uid    uint32            // _rt.si_uid
	sigval int32             // _rt.si_sigval.sival_int
	_      [siMaxSize - 3*4 - (ptrSize - 4) - 3*4]byte
}

const (
	ptrSize   = unsafe.Sizeof(uintptr(0)) // sizeof(long) and sizeof(void *) on Linux
	siMaxSize = 128                       // SI_MAX_SIZE
)

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
