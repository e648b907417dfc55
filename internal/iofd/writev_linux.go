package iofd

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// iovMax is IOV_MAX (UIO_MAXIOV), the most iovecs one writev(2) or
// sendmsg(2) takes and the most messages one recvmmsg(2) or sendmmsg(2)
// handles.
const iovMax = 1024

// Writev writes bufs in order with as few system calls as it can: writev(2)
// on what is not a socket, sendmsg(2) with the iovec on a socket (with
// MSG_NOSIGNAL), at most IOV_MAX buffers per call. On a stream it writes
// all of every buffer, looping over short writes and advancing across
// buffers, as Send does; on a datagram or seqpacket socket bufs are one
// message (more than IOV_MAX non-empty buffers fail with EMSGSIZE). It
// waits the FD's way; bufs is not modified. It returns the bytes written.
//
// It is what net.Buffers.WriteTo does on a net.TCPConn, which that method
// cannot reach on another type (the interface it looks for is
// unexported): a net.Buffers is a [][]byte, so call Writev(buffers)
// directly, and drop what was written yourself if you keep the Buffers
// (net.Buffers has no exported way to drop n bytes: re-slice them).
func (fd *FD) Writev(bufs [][]byte) (int64, error) {
	h := &fd.Write
	if err := fd.Lock(h); err != nil {
		return 0, fd.OpError("write", err)
	}
	defer fd.Unlock(h)
	h.calls.Add(1)
	kind := OpWritev
	if fd.Kind.IsSocket() {
		kind = OpSendMsg
	}
	m := fd.msgFor(h)
	defer m.releaseIovs()
	message := fd.Kind.Messages()
	var total int64
	i, off := 0, 0 // the next byte: bufs[i][off]
	for first := true; ; first = false {
		for i < len(bufs) && off >= len(bufs[i]) {
			i, off = i+1, 0
		}
		if i == len(bufs) && !(message && first) {
			return total, nil
		}
		m.iovs = m.iovs[:0]
		for j, o := i, off; j < len(bufs); j, o = j+1, 0 {
			b := bufs[j][o:]
			if len(b) == 0 {
				continue
			}
			if len(m.iovs) == iovMax {
				if message {
					return 0, fd.OpError("write", fmt.Errorf("a message of more than %d buffers: %w", iovMax, unix.EMSGSIZE))
				}
				break
			}
			if len(b) > maxIO {
				b = b[:maxIO]
			}
			v := unix.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			m.iovs = append(m.iovs, v)
		}
		m.set(nil, nil, 0)
		if len(m.iovs) > 0 {
			m.hdr.Iov = &m.iovs[0]
			m.hdr.SetIovlen(len(m.iovs))
		}
		n, err := fd.msgLoop(h, kind, m, unix.MSG_NOSIGNAL, len(m.iovs))
		if err != nil {
			return total, fd.OpError("write", wrapSys(kind, err))
		}
		h.bytes.Add(uint64(n))
		total += int64(n)
		if message {
			return total, nil
		}
		for n > 0 && i < len(bufs) {
			k := min(n, len(bufs[i])-off)
			n -= k
			off += k
			if off == len(bufs[i]) {
				i, off = i+1, 0
			}
		}
	}
}

// releaseIovs lets go of the caller's buffers.
func (m *msgState) releaseIovs() {
	clear(m.iovs[:cap(m.iovs)])
	m.iovs = m.iovs[:0]
	m.release()
}
