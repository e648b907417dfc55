package iomodel

// Stats counts what a Conn has done since it was created, one DirStats per
// direction. Every model fills the same fields, so the cost of one model can be
// set beside another's: syscalls per message, how often the kernel said "not
// now", how often the caller had to sleep.
type Stats struct {
	Read  DirStats // Recv, TryRecv and Accept
	Write DirStats // Send, TrySend and Connect
	// ZeroCopy counts the bytes a stream Conn's io.ReaderFrom and
	// io.WriterTo (ReadFrom and WriteTo, which io.Copy and net/http use)
	// moved, by the way they went. They are also in Read.Bytes or
	// Write.Bytes where the model counts them there.
	ZeroCopy ZeroCopyStats
}

// ZeroCopyStats counts the bytes of io.Copy to and from a Conn by how they
// went: in the kernel by sendfile(2) or splice(2), or through user space
// by the copy loop, where neither applies.
type ZeroCopyStats struct {
	// Sendfile is the bytes sent from a regular file with sendfile(2).
	Sendfile uint64
	// Splice is the bytes moved with splice(2): from a pipe or socket by
	// ReadFrom, to one by WriteTo.
	Splice uint64
	// Copied is the bytes that went through a user-space buffer.
	Copied uint64
}

// DirStats counts one direction of a Conn.
type DirStats struct {
	// Calls is the number of Send or Recv calls (including Try variants).
	Calls uint64
	// Syscalls is the number of data-moving system calls issued (read, recv,
	// write, send), or operations submitted to the kernel in the async model.
	Syscalls uint64
	// WouldBlock is the number of those system calls that returned EAGAIN.
	WouldBlock uint64
	// Waits is the number of times a call went to sleep waiting for
	// readiness, completion or a back-off step.
	Waits uint64
	// Bytes is the number of bytes moved.
	Bytes uint64
}
