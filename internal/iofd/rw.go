package iofd

// Recv is the model's Recv: at least one byte into p, io.EOF at the end of
// a stream, waiting the FD's way (its Config.Driver) when nothing is there.
func (fd *FD) Recv(p []byte) (int, error) { return fd.recv(p, true) }

// Send is the model's Send: all of p on a stream, one message on a
// datagram or seqpacket socket, waiting the FD's way when there is no room.
func (fd *FD) Send(p []byte) (int, error) { return fd.send(p, true) }

// TryRecv is one attempt at Recv that never waits: what is there, or an
// error wrapping EAGAIN (the non-blocking model's TryRecv).
func (fd *FD) TryRecv(p []byte) (int, error) { return fd.recv(p, false) }

// TrySend is one attempt at Send that never waits: what fit, and an error
// wrapping EAGAIN if not all of p did (the non-blocking model's TrySend).
func (fd *FD) TrySend(p []byte) (int, error) { return fd.send(p, false) }
