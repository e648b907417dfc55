package sigdriven

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func fcntlOwner(fd int, typ, id int) error {
	o := fOwnerEx{typ: int32(typ), pid: int32(id)}
	_, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETOWN_EX, uintptr(unsafe.Pointer(&o)))
	if e != 0 {
		return os.NewSyscallError("fcntl F_SETOWN_EX", e)
	}
	return nil
}

// arm asks the kernel to signal fd's readiness (fcntl(2) "Managing
// signals"): F_SETSIG chooses the signal (0: plain SIGIO without si_fd
// worth reading; a real-time signal: queued, with si_fd and si_band),
// F_SETOWN_EX whom to signal, and O_ASYNC switches it on. The signal and
// the owner are set first, so no signal ever goes to the wrong place.
func arm(fd, sig, ownerType, owner int) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return os.NewSyscallError("fcntl F_GETFL", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETSIG, sig); err != nil {
		return os.NewSyscallError("fcntl F_SETSIG", err)
	}
	if err := fcntlOwner(fd, ownerType, owner); err != nil {
		disarm(fd)
		return err
	}
	if fl&unix.O_ASYNC != 0 {
		// The kernel remembers the descriptor number to put in si_fd when
		// O_ASYNC goes from off to on (fasync_helper); if it is already on
		// through another descriptor of the same open file, that number
		// would stay. Switch it off and on so that si_fd names fd.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_ASYNC); err != nil {
			disarm(fd)
			return os.NewSyscallError("fcntl F_SETFL", err)
		}
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_ASYNC); err != nil {
		disarm(fd)
		return os.NewSyscallError("fcntl F_SETFL", err)
	}
	got, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		disarm(fd)
		return os.NewSyscallError("fcntl F_GETFL", err)
	}
	if got&unix.O_ASYNC == 0 {
		disarm(fd)
		return ErrNoAsync
	}
	return nil
}

// disarm undoes arm: O_ASYNC off first (after F_SETFL returns, the kernel
// sends no more signals for fd: fasync_remove_entry waits for a sender in
// progress), then no signal and no owner. Errors are ignored: it runs on
// the way to close(2), and a descriptor that is gone signals nobody.
func disarm(fd int) {
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_ASYNC != 0 {
		unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_ASYNC)
	}
	unix.FcntlInt(uintptr(fd), unix.F_SETSIG, 0)
	fcntlOwner(fd, fOwnerPID, 0)
}
