package uring

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func sysSetup(entries uint32, p *io_uring_params) (int, error) {
	if h := setupHook; h != nil {
		return h(entries, p)
	}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func sysEnter(fd int, toSubmit, minComplete, flags uint32) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

// sysEnterArg is io_uring_enter(2) with IORING_ENTER_EXT_ARG: arg is an
// io_uring_getevents_arg of size argSize.
func sysEnterArg(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags|IORING_ENTER_EXT_ARG), uintptr(arg), argSize)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

func sysRegister(fd int, op uint32, arg unsafe.Pointer, nargs uint32) error {
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), uintptr(op), uintptr(arg), uintptr(nargs), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// errnoName is the errno's symbol (ENOSYS), for UnsupportedError's message.
func errnoName(e syscall.Errno) string { return unix.ErrnoName(e) }

// flagChain is tried in order: the first that the kernel accepts wins.
// SINGLE_ISSUER|DEFER_TASKRUN (6.1) runs completion work only when the owner
// asks for events, on its own thread: no IPIs, no task work interrupting the
// Go scheduler; TASKRUN_FLAG beside it makes the kernel raise
// IORING_SQ_TASKRUN when such work is waiting, which the owner polls while
// it spins (kernels that refuse the pair get the next entry).
// COOP_TASKRUN|TASKRUN_FLAG (5.19) is the next best. Every entry
// carries CQSIZE (we size the CQ, larger than the SQ, because in-flight ops are
// bounded by it), CLAMP (the kernel shrinks too-large sizes instead of failing)
// and SUBMIT_ALL (one bad SQE does not stop the rest of a batch).
var flagChain = [...]uint32{
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	0,
}

const baseFlags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL

// minEntries is where ENOMEM stops halving the ring.
const minEntries = 8

var opNames = map[uint8]string{
	IORING_OP_NOP: "NOP", IORING_OP_SEND: "SEND", IORING_OP_RECV: "RECV",
	IORING_OP_READ: "READ", IORING_OP_WRITE: "WRITE", IORING_OP_ACCEPT: "ACCEPT",
	IORING_OP_CONNECT: "CONNECT", IORING_OP_ASYNC_CANCEL: "ASYNC_CANCEL",
	IORING_OP_LINK_TIMEOUT: "LINK_TIMEOUT",
}

// setup creates a ring with sq entries and a CQ of cq entries, walking the
// flag chain; on ENOMEM (locked-memory limit, or a fragmented machine) it
// halves both sizes and tries again.
func setup(sq, cq uint32) (fd int, p io_uring_params, err error) {
	for {
		for _, f := range flagChain {
			p = io_uring_params{flags: baseFlags | f, cq_entries: cq}
			fd, err = sysSetup(sq, &p)
			if err == nil {
				return fd, p, nil
			}
			if err != unix.EINVAL {
				break // EINVAL means "flag unknown": try the next; anything else is final
			}
		}
		if err == unix.ENOMEM && sq > minEntries {
			sq, cq = sq/2, cq/2
			continue
		}
		return -1, p, classify(err)
	}
}

// classify turns a failed io_uring_setup into an error an operator can act on.
func classify(err error) error {
	errno, _ := err.(syscall.Errno)
	switch errno {
	case unix.ENOSYS:
		return &UnsupportedError{Errno: errno,
			Cause: "io_uring_setup(2) does not exist: the kernel is older than 5.1 or built without CONFIG_IO_URING, or an emulator that lacks io_uring (qemu-user, gVisor) runs this program",
			Fix:   "run natively on Linux 6.1 or newer with CONFIG_IO_URING=y, or pick another iomodel package"}
	case unix.EPERM:
		switch sysctl() {
		case "2":
			return &UnsupportedError{Errno: errno,
				Cause: "io_uring is disabled for everyone by the sysctl kernel.io_uring_disabled=2",
				Fix:   "sysctl -w kernel.io_uring_disabled=0 (as root), or pick another iomodel package"}
		case "1":
			return &UnsupportedError{Errno: errno,
				Cause: "io_uring is limited by the sysctl kernel.io_uring_disabled=1 to root and the group kernel.io_uring_group",
				Fix:   "add this user to the group named in /proc/sys/kernel/io_uring_group, or sysctl -w kernel.io_uring_disabled=0"}
		}
		return &UnsupportedError{Errno: errno,
			Cause: "io_uring_setup(2) is denied by a seccomp filter (Docker's and containerd's default profiles block io_uring)",
			Fix:   "run the container with a seccomp profile that allows io_uring_setup, io_uring_enter and io_uring_register (docker run --security-opt seccomp=PROFILE.json)"}
	case unix.EACCES:
		return &UnsupportedError{Errno: errno,
			Cause: "io_uring_setup(2) is denied by a Linux security module (SELinux or AppArmor io_uring permissions)",
			Fix:   "grant the io_uring permission to this domain in the LSM policy, or pick another iomodel package"}
	case unix.EINVAL:
		return &UnsupportedError{Errno: errno,
			Cause: "the kernel rejects IORING_SETUP_CQSIZE|CLAMP|SUBMIT_ALL: it is older than 5.18",
			Fix:   "run on Linux 6.1 or newer"}
	case unix.ENOMEM:
		return &UnsupportedError{Errno: errno,
			Cause: "no memory for even the smallest ring (RLIMIT_MEMLOCK on kernels before 5.12)",
			Fix:   "raise the locked-memory limit (ulimit -l) or run on Linux 5.12 or newer"}
	}
	return os.NewSyscallError("io_uring_setup", err)
}

func sysctl() string {
	b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// checkFeatures refuses a ring without the features the owner relies on:
// FAST_POLL (5.7: a socket op waits by internal poll, not by blocking an io-wq
// thread) and NODROP (5.5: completions are never dropped on CQ overflow).
func checkFeatures(p *io_uring_params) error {
	var missing []string
	if p.features&IORING_FEAT_FAST_POLL == 0 {
		missing = append(missing, "IORING_FEAT_FAST_POLL")
	}
	if p.features&IORING_FEAT_NODROP == 0 {
		missing = append(missing, "IORING_FEAT_NODROP")
	}
	if p.features&IORING_FEAT_SINGLE_MMAP == 0 {
		missing = append(missing, "IORING_FEAT_SINGLE_MMAP")
	}
	if missing != nil {
		return &UnsupportedError{
			Cause: "the kernel's io_uring lacks " + strings.Join(missing, ", "),
			Fix:   "run on Linux 6.1 or newer"}
	}
	return nil
}

// probe asks the kernel (IORING_REGISTER_PROBE, 5.6) which opcodes it supports
// and refuses the ring if any of RequiredOps is missing. The others it
// reports in ops, one bit per opcode, for Ring.Supports.
func probe(fd int, ops *opSet) error {
	var pr io_uring_probe
	if err := sysRegister(fd, IORING_REGISTER_PROBE, unsafe.Pointer(&pr), uint32(len(pr.ops))); err != nil {
		errno, _ := err.(syscall.Errno)
		return &UnsupportedError{Errno: errno,
			Cause: "IORING_REGISTER_PROBE failed: the kernel is older than 5.6",
			Fix:   "run on Linux 6.1 or newer"}
	}
	for op := 0; op < int(pr.ops_len) && op < len(pr.ops); op++ {
		if pr.ops[op].flags&IO_URING_OP_SUPPORTED != 0 {
			ops.add(uint8(op))
		}
	}
	var missing []string
	for _, op := range RequiredOps {
		if int(op) >= int(pr.ops_len) || pr.ops[op].flags&IO_URING_OP_SUPPORTED == 0 {
			missing = append(missing, "IORING_OP_"+opNames[op])
		}
	}
	if missing != nil {
		return &UnsupportedError{
			Cause: "the kernel's io_uring does not support " + strings.Join(missing, ", "),
			Fix:   "run on Linux 6.1 or newer"}
	}
	return nil
}

// errf formats an internal error that is not about support.
func errf(format string, args ...any) error { return fmt.Errorf("uring: "+format, args...) }
