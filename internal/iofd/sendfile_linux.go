package iofd

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SendFile is the zero-copy half of a stream Conn's io.ReaderFrom, as
// net.TCPConn's ReadFrom: from r (or the R of an *io.LimitedReader, at most
// its N bytes, which it lowers by what went, as net does) that is
//
//   - a regular file (an *os.File, or anything whose SyscallConn reaches
//     one): sendfile(2) from its file offset, which advances, in chunks of
//     at most 1 GiB, until its end or N;
//   - a pipe, or a stream socket in O_NONBLOCK (a *net.TCPConn, a
//     *net.UnixConn): splice(2) through a pipe of its own, as
//     net/internal/poll does, waiting for the source its own way (its
//     RawConn's Read) and for the FD the FD's way.
//
// handled is false, with nothing read, where neither applies (the FD is
// not a stream socket; r is none of these; the kernel refuses the first
// call with EINVAL or ENOSYS): the caller then copies, with
// ReadFromGeneric. When the FD waits for room it waits the model's way (in
// the blocking model in the kernel, with the write deadline); the
// non-blocking models put the socket in O_NONBLOCK for the call, as
// sendfile and splice have no MSG_DONTWAIT. Errors are *net.OpError with
// Op "readfrom".
func (fd *FD) SendFile(r io.Reader) (written int64, handled bool, err error) {
	if fd.Kind != Stream {
		return 0, false, nil
	}
	remain := int64(-1) // no limit
	lr, limited := r.(*io.LimitedReader)
	if limited {
		remain, r = lr.N, lr.R
		if remain <= 0 {
			return 0, true, nil
		}
	}
	rc, src, ok := rawPeer(r)
	if !ok {
		return 0, false, nil
	}
	switch src.kind {
	case File:
		if rerr := rc.Read(func(s uintptr) bool {
			written, handled, err = fd.sendfile(int(s), remain)
			return true
		}); rerr != nil && err == nil {
			return 0, false, nil // the file is closed: the copy reports it
		}
	case Pipe, Stream:
		written, handled, err = fd.spliceFrom(rc, src, remain)
	default:
		return 0, false, nil
	}
	if limited {
		lr.N -= written
	}
	if err != nil && err != io.EOF {
		return written, handled, fd.wrapCopy("readfrom", err)
	}
	return written, handled, nil
}

// srcInfo is what a zero-copy source or destination is.
type srcInfo struct {
	kind     Kind // File, Pipe, Stream (socket); 0 for what cannot be used
	nonblock bool // O_NONBLOCK
}

// probeSource finds what s is, for SendFile and SpliceTo: a regular file,
// a pipe, or a stream socket in O_NONBLOCK (one that is not could sleep
// in splice(2) past any deadline).
func probeSource(s int) srcInfo {
	var st unix.Stat_t
	if unix.Fstat(s, &st) != nil {
		return srcInfo{}
	}
	fl, err := unix.FcntlInt(uintptr(s), unix.F_GETFL, 0)
	if err != nil {
		return srcInfo{}
	}
	info := srcInfo{nonblock: fl&unix.O_NONBLOCK != 0}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		info.kind = File
	case unix.S_IFIFO:
		info.kind = Pipe
	case unix.S_IFSOCK:
		if t, _, err := socketType(s); err == nil && t == unix.SOCK_STREAM && info.nonblock {
			info.kind = Stream
		}
	}
	return info
}

func socketType(s int) (int, int, error) {
	t, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_TYPE)
	return t, 0, err
}

// sendfile sends from the regular file src, at most remain bytes (< 0: to
// its end), under the Write lock.
func (fd *FD) sendfile(src int, remain int64) (written int64, handled bool, err error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, true, err
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	if err := fd.nonblockOn(); err != nil {
		return 0, true, err
	}
	defer fd.nonblockOff()
	for remain != 0 {
		chunk := maxIO
		if remain > 0 && remain < int64(chunk) {
			chunk = int(remain)
		}
		n, err := fd.zcLoop(h, OpSendfile, src, chunk, 0)
		if n > 0 {
			written += int64(n)
			if remain > 0 {
				remain -= int64(n)
			}
			h.bytes.Add(uint64(n))
			fd.zeroCopy().sendfile.Add(uint64(n))
		}
		if err != nil {
			if written == 0 && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP) {
				return 0, false, nil // not for sendfile: copy instead
			}
			return written, true, zcSysError(OpSendfile, err)
		}
		if n == 0 {
			break // the end of the file
		}
	}
	return written, true, nil
}

func zcSysError(kind OpKind, err error) error {
	if isErrno(err) {
		name := "splice"
		if kind == OpSendfile {
			name = "sendfile"
		}
		return os.NewSyscallError(name, err)
	}
	return err
}

// nonblockOn puts the socket in O_NONBLOCK for a zero-copy call in the
// non-blocking models (sendfile and splice have no MSG_DONTWAIT);
// nonblockOff takes it out when the last such call is done, unless it was
// so already. The blocking model sleeps in the kernel instead, with the
// deadline's socket timeout armed. A Recv or Send meanwhile is not
// affected: they pass MSG_DONTWAIT anyway.
func (fd *FD) nonblockOn() error {
	if fd.Mode == Blocking {
		return nil
	}
	z := fd.zeroCopy()
	z.nonblockMu.Lock()
	defer z.nonblockMu.Unlock()
	if z.nonblockN == 0 {
		fl, err := unix.FcntlInt(uintptr(fd.Sysfd), unix.F_GETFL, 0)
		if err != nil {
			return os.NewSyscallError("fcntl", err)
		}
		z.nonblockKeep = fl&unix.O_NONBLOCK != 0
		if !z.nonblockKeep {
			if err := unix.SetNonblock(fd.Sysfd, true); err != nil {
				return os.NewSyscallError("fcntl", err)
			}
		}
	}
	z.nonblockN++
	return nil
}

func (fd *FD) nonblockOff() {
	if fd.Mode == Blocking {
		return
	}
	z := fd.zeroCopy()
	z.nonblockMu.Lock()
	defer z.nonblockMu.Unlock()
	z.nonblockN--
	if z.nonblockN == 0 && !z.nonblockKeep {
		unix.SetNonblock(fd.Sysfd, false)
	}
}

// zcLoop is the loop (do) for sendfile(2) and splice(2) on the FD's
// socket, the other end being other (the file, or a pipe), count bytes at
// most. The caller holds h's lock. The error is bare.
func (fd *FD) zcLoop(h *Half, kind OpKind, other, count, flags int) (int, error) {
	c := h.call()
	defer c.reset()
	c.Kind, c.Fd, c.Count, c.Flags = kind, int32(other), count, flags
	return fd.do(h, c, true)
}
