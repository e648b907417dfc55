package iofd

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSplice is the most one splice(2) moves: the pipe's size, which
// newSplicePipe asks to be 1 MiB, as net/internal/poll does.
const maxSplice = 1 << 20

// splicePipe is the pipe a splice goes through between two descriptors
// that are not pipes.
type splicePipe struct {
	r, w int
	size int
}

func newSplicePipe() (*splicePipe, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("pipe2", err)
	}
	size := 1 << 16 // pipe(7)'s default
	if got, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, maxSplice); err == nil {
		size = got
	}
	return &splicePipe{r: p[0], w: p[1], size: size}, nil
}

// splice is splice(2) with both offsets nil (the descriptors' own), the
// same on every port (x/sys/unix's Splice returns an int64 on some and an
// int on others).
func splice(in int, _ *int64, out int, _ *int64, n, flags int) (int64, error) {
	r, _, e := unix.Syscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return int64(r), nil
}

func (p *splicePipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// spliceFlags is the FD's side of a splice: SPLICE_F_NONBLOCK in the
// non-blocking models (the socket is put in O_NONBLOCK too), nothing more
// in the blocking one, which sleeps in the kernel with its timeout.
func (fd *FD) spliceFlags() int {
	if fd.Mode == Blocking {
		return unix.SPLICE_F_MOVE
	}
	return unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK
}

// beginSplice readies a splice in h's direction: h locked (and the call
// counted), a pipe of its own, the socket in O_NONBLOCK. end undoes all
// three.
func (fd *FD) beginSplice(h *Half) (p *splicePipe, end func(), err error) {
	if err := fd.Lock(h); err != nil {
		return nil, nil, err
	}
	h.calls.Add(1)
	if p, err = newSplicePipe(); err != nil {
		fd.Unlock(h)
		return nil, nil, err
	}
	if err := fd.nonblockOn(); err != nil {
		p.close()
		fd.Unlock(h)
		return nil, nil, err
	}
	return p, func() { fd.nonblockOff(); p.close(); fd.Unlock(h) }, nil
}

// rawPeer is the RawConn of x, the other end of a copy, and what its
// descriptor is; ok is false if x has none (it is no syscall.Conn, or
// closed).
func rawPeer(x any) (rc syscall.RawConn, info srcInfo, ok bool) {
	sc, ok := x.(syscall.Conn)
	if !ok {
		return nil, srcInfo{}, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, srcInfo{}, false
	}
	if err := rc.Control(func(s uintptr) { info = probeSource(int(s)) }); err != nil {
		return nil, srcInfo{}, false
	}
	return rc, info, true
}

// peerFlags is the other descriptor's side: non-blocking only if it is in
// O_NONBLOCK, where its RawConn can wait for it.
func peerFlags(info srcInfo) int {
	if info.nonblock {
		return unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK
	}
	return unix.SPLICE_F_MOVE
}

// spliceFrom moves from the pipe or socket behind rc to the FD, at most
// remain bytes (< 0: until its end), through a pipe: each chunk goes into
// the pipe under rc's Read (which waits for the source its way), then out
// of it to the FD through zcLoop.
func (fd *FD) spliceFrom(rc syscall.RawConn, src srcInfo, remain int64) (written int64, handled bool, err error) {
	h := &fd.Write
	p, end, err := fd.beginSplice(h)
	if err != nil {
		return 0, true, err
	}
	defer end()
	for remain != 0 {
		chunk := p.size
		if remain > 0 && remain < int64(chunk) {
			chunk = int(remain)
		}
		var in int
		var serr error
		rerr := rc.Read(func(s uintptr) bool {
			var m int64
			m, serr = splice(int(s), nil, p.w, nil, chunk, peerFlags(src))
			if serr == unix.EINTR {
				return false
			}
			if serr == unix.EAGAIN && src.nonblock {
				return false
			}
			in = int(max(m, 0))
			return true
		})
		switch {
		case rerr != nil:
			return written, true, rerr
		case serr != nil && written == 0 && (serr == unix.EINVAL || serr == unix.ENOSYS):
			return 0, false, nil
		case serr != nil:
			return written, true, os.NewSyscallError("splice", serr)
		case in == 0:
			return written, true, nil // the source's end
		}
		for in > 0 {
			n, err := fd.zcLoop(h, OpSplice, p.r, in, fd.spliceFlags())
			if n > 0 {
				in -= n
				written += int64(n)
				if remain > 0 {
					remain -= int64(n)
				}
				h.bytes.Add(uint64(n))
				fd.zeroCopy().splice.Add(uint64(n))
			}
			if err != nil {
				return written, true, zcSysError(OpSplice, err)
			}
		}
	}
	return written, true, nil
}

// SpliceTo is the zero-copy half of a stream Conn's io.WriterTo: from the
// FD, until the end of the stream, to w when w's SyscallConn reaches a
// pipe, a regular file or a stream socket in O_NONBLOCK (a *net.TCPConn, a
// *net.UnixConn), by splice(2) through a pipe of its own: each chunk comes
// out of the FD through the loop (waiting the FD's way, with the read
// deadline), then goes to w under its RawConn's Write (which waits for w
// its way). handled is false, with nothing read, where that does not
// apply: the caller then copies, with WriteToGeneric. Errors are
// *net.OpError with Op "writeto".
func (fd *FD) SpliceTo(w io.Writer) (written int64, handled bool, err error) {
	if fd.Kind != Stream {
		return 0, false, nil
	}
	rc, dst, ok := rawPeer(w)
	if !ok || dst.kind == 0 {
		return 0, false, nil
	}
	written, handled, err = fd.spliceTo(rc, dst)
	if err != nil {
		return written, handled, fd.wrapCopy("writeto", err)
	}
	return written, handled, nil
}

func (fd *FD) spliceTo(rc syscall.RawConn, dst srcInfo) (written int64, handled bool, err error) {
	h := &fd.Read
	p, end, err := fd.beginSplice(h)
	if err != nil {
		return 0, true, err
	}
	defer end()
	for {
		in, err := fd.zcLoop(h, OpSplice, p.w, p.size, fd.spliceFlags())
		if err != nil {
			if written == 0 && (err == unix.EINVAL || err == unix.ENOSYS) {
				return 0, false, nil
			}
			return written, true, zcSysError(OpSplice, err)
		}
		if in == 0 {
			return written, true, nil // the end of the stream
		}
		h.bytes.Add(uint64(in))
		for in > 0 {
			var out int
			var serr error
			werr := rc.Write(func(s uintptr) bool {
				var m int64
				m, serr = splice(p.r, nil, int(s), nil, in, peerFlags(dst))
				if serr == unix.EINTR || serr == unix.EAGAIN && dst.nonblock {
					return false
				}
				out = int(max(m, 0))
				return true
			})
			switch {
			case werr != nil:
				return written, true, werr
			case serr != nil:
				return written, true, os.NewSyscallError("splice", serr)
			case out == 0:
				return written, true, io.ErrShortWrite
			}
			in -= out
			written += int64(out)
			fd.zeroCopy().splice.Add(uint64(out))
		}
	}
}
