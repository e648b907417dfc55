package iofd

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// Sys makes c's system call once, on the caller's thread, and returns its
// result: n ≥ 0, or the bare errno. It is a Driver's Try for a readiness
// model; on a descriptor in blocking mode (the blocking model) it sleeps
// in the kernel until done.
//
// On a socket the plain and message calls carry the FD's flags
// (MSG_DONTWAIT unless calls sleep in the kernel, MSG_NOSIGNAL on sends).
// OpConnect's first attempt is connect(2), made with the socket in
// O_NONBLOCK for the call, the later ones ask SO_ERROR whether it is done;
// OpPoll's attempt is the RawConn's function. Both answer EAGAIN until
// done.
func (c *Call) Sys(fd *FD, h *Half) (int, error) {
	switch c.Kind {
	case OpConnect:
		return c.connect(fd)
	case OpPoll:
		if c.raw(uintptr(fd.Sysfd)) {
			return 0, nil
		}
		return 0, unix.EAGAIN
	}
	h.syscalls.Add(1)
	if trap, a1, a2, a3, a4, ok := c.Raw(fd); ok {
		r, _, e := unix.Syscall6(trap, a1, uintptr(a2), a3, a4, 0, 0)
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
	switch c.Kind {
	case OpAccept:
		// Accept4 allocates the address it returns; each accept makes a
		// Conn, which allocates anyway.
		nfd, sa, err := unix.Accept4(fd.Sysfd, unix.SOCK_CLOEXEC|int(fd.acceptFlags))
		if err != nil {
			return 0, err
		}
		if sa != nil {
			c.peer = sock.Addr(fd.sotype(), sa)
		}
		return nfd, nil
	case OpSendfile:
		n, err := unix.Sendfile(fd.Sysfd, int(c.Fd), nil, c.Count)
		if err != nil {
			return 0, err
		}
		return n, nil
	case OpSplice:
		in, out := int(c.Fd), fd.Sysfd
		if h.dir == Read {
			in, out = fd.Sysfd, int(c.Fd)
		}
		n, err := splice(in, nil, out, nil, c.Count, c.Flags)
		if err != nil {
			return 0, err
		}
		return int(n), nil
	}
	return 0, unix.ENOSYS
}

// Raw is c's system call as its raw arguments, for a Driver that makes the
// call its own way (the blocking model, on a thread a signal can reach):
// the plain reads and writes and the message calls, with the FD's flags.
// a2 is the call's one pointer (the buffer, the msghdr or mmsghdrs, the
// iovec), to be converted to a uintptr only in the system call's argument
// list (unsafe.Pointer's rule 4). ok is false for the kinds that have no
// such form (accept, connect, sendfile, splice, poll): make those with Sys.
func (c *Call) Raw(fd *FD) (trap, a1 uintptr, a2 unsafe.Pointer, a3, a4 uintptr, ok bool) {
	a1 = uintptr(fd.Sysfd)
	switch c.Kind {
	case OpRecv:
		// recvfrom(2) with no address: its last two arguments are 0.
		return unix.SYS_RECVFROM, a1, bufPtr(c.Buf), uintptr(len(c.Buf)), uintptr(fd.recvFlags), true
	case OpSend:
		return unix.SYS_SENDTO, a1, bufPtr(c.Buf), uintptr(len(c.Buf)), uintptr(fd.sendFlags), true
	case OpRead:
		return unix.SYS_READ, a1, bufPtr(c.Buf), uintptr(len(c.Buf)), 0, true
	case OpWrite:
		return unix.SYS_WRITE, a1, bufPtr(c.Buf), uintptr(len(c.Buf)), 0, true
	case OpRecvMsg:
		return unix.SYS_RECVMSG, a1, c.Msg, uintptr(c.Flags | int(fd.recvFlags)), 0, true
	case OpSendMsg:
		return unix.SYS_SENDMSG, a1, c.Msg, uintptr(c.Flags | int(fd.sendFlags)), 0, true
	case OpWritev:
		return unix.SYS_WRITEV, a1, unsafe.Pointer((*unix.Msghdr)(c.Msg).Iov), uintptr(c.Count), 0, true
	case OpRecvMmsg:
		// MSG_WAITFORONE: wait for the first datagram only (in the
		// blocking model), then take what is there.
		return unix.SYS_RECVMMSG, a1, c.Msg, uintptr(c.Count), uintptr(c.Flags | int(fd.recvFlags) | unix.MSG_WAITFORONE), true
	case OpSendMmsg:
		return unix.SYS_SENDMMSG, a1, c.Msg, uintptr(c.Count), uintptr(c.Flags | int(fd.sendFlags)), true
	}
	return 0, 0, nil, 0, 0, false
}

// connect is OpConnect's attempt. The first is connect(2) to c.Buf with
// the socket in O_NONBLOCK, so that it answers EINPROGRESS at once and
// the Driver waits for writability its own way; then the socket goes back
// to blocking mode, as New left it (the readiness models' sockets use
// MSG_DONTWAIT, not O_NONBLOCK). The later ones read the result with
// SO_ERROR, as connect(2) describes.
func (c *Call) connect(fd *FD) (int, error) {
	if c.Attempt == 0 {
		if err := unix.SetNonblock(fd.Sysfd, true); err != nil {
			return 0, os.NewSyscallError("fcntl", err)
		}
		_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd.Sysfd), uintptr(bufPtr(c.Buf)), uintptr(len(c.Buf)))
		if err := unix.SetNonblock(fd.Sysfd, false); err != nil && (e == 0 || e == unix.EINPROGRESS) {
			return 0, os.NewSyscallError("fcntl", err)
		}
		switch e {
		case 0, unix.EISCONN:
			return 0, nil
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return 0, unix.EAGAIN
		}
		return 0, e
	}
	soerr, err := unix.GetsockoptInt(fd.Sysfd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt", err)
	}
	switch e := unix.Errno(soerr); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return 0, unix.EAGAIN
	case 0, unix.EISCONN:
		// SO_ERROR is 0 both while connecting and once connected:
		// only getpeername(2) tells them apart.
		if _, err := unix.Getpeername(fd.Sysfd); err == nil {
			return 0, nil
		}
		return 0, unix.EAGAIN
	default:
		return 0, e
	}
}
