package iofd

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// zcState is what only a Conn that io.Copy has used carries: the bytes
// its io.ReaderFrom and io.WriterTo moved (ZeroCopyStats) and the count of
// zero-copy calls in flight that need the socket in O_NONBLOCK (sendfile
// and splice have no MSG_DONTWAIT). It lives in the FD's extras, made on
// first use (FD.zeroCopy).
type zcState struct {
	sendfile, splice, copied atomic.Uint64

	nonblockMu   sync.Mutex
	nonblockN    int  // under nonblockMu
	nonblockKeep bool // the socket was O_NONBLOCK already: leave it so
}

// zeroCopy is fd's zcState, made on first use.
func (fd *FD) zeroCopy() *zcState { return &fd.extra().zc }

// copyBufSize is the copy loops' buffer, as io.Copy's.
const copyBufSize = 32 << 10

// ReadFromGeneric is the io.ReaderFrom fallback where SendFile does not
// apply: io.CopyBuffer from r to the FD through Send (waiting the FD's
// way), with a 32 KiB buffer. The bytes count as copied in ZeroCopyStats.
// Errors are *net.OpError with Op "readfrom", as net's.
func (fd *FD) ReadFromGeneric(r io.Reader) (int64, error) {
	n, err := io.CopyBuffer(fdWriter{fd}, r, make([]byte, copyBufSize))
	return n, fd.wrapCopy("readfrom", err)
}

// WriteToGeneric is the io.WriterTo fallback where SpliceTo does not
// apply: io.CopyBuffer from the FD (Recv, until io.EOF) to w, with a 32 KiB
// buffer. Errors are *net.OpError with Op "writeto", as net's.
func (fd *FD) WriteToGeneric(w io.Writer) (int64, error) {
	n, err := io.CopyBuffer(w, fdReader{fd}, make([]byte, copyBufSize))
	return n, fd.wrapCopy("writeto", err)
}

// wrapCopy wraps a copy's error as op, taking the cause out of an
// *net.OpError the FD's own call made.
func (fd *FD) wrapCopy(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Net == fd.network {
		err = oe.Err
	}
	return fd.OpError(op, err)
}

// fdWriter and fdReader are the FD as an io.Writer and io.Reader, and
// nothing more: io.CopyBuffer must not find a ReaderFrom or WriterTo on
// them, which would loop back to the façade.
type fdWriter struct{ fd *FD }

func (w fdWriter) Write(p []byte) (int, error) {
	n, err := w.fd.Send(p)
	w.fd.zeroCopy().copied.Add(uint64(n))
	return n, err
}

type fdReader struct{ fd *FD }

func (r fdReader) Read(p []byte) (int, error) {
	n, err := r.fd.Recv(p)
	r.fd.zeroCopy().copied.Add(uint64(n))
	return n, err
}

// ZeroCopyStats reports the bytes the FD's io.ReaderFrom and io.WriterTo
// moved each way: by sendfile(2), by splice(2), and copied through user
// space by ReadFromGeneric and WriteToGeneric.
func (fd *FD) ZeroCopyStats() (sendfile, splice, copied uint64) {
	x := fd.ext.Load()
	if x == nil {
		return 0, 0, 0
	}
	return x.zc.sendfile.Load(), x.zc.splice.Load(), x.zc.copied.Load()
}
