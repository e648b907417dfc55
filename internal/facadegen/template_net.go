package main

// netParity is the part of the template that makes a model a drop-in for
// package net: the TCP and Unix options, SyscallConn and File, and Dial,
// Listen, Dialer and ListenConfig with net's fields and semantics.
const netParity = `
// SetNoDelay sets TCP_NODELAY, as net.TCPConn's: true, the default on every
// dialed and accepted TCP connection, sends small writes at once; false lets
// Nagle's algorithm gather them. On a socket that is not TCP it fails with
// an error naming the option and the kind.
func (c *Conn) SetNoDelay(noDelay bool) error { return {{.ConnFD}}.SetNoDelay(noDelay) }

// SetKeepAlive turns TCP keep-alive probes on or off (SO_KEEPALIVE), as
// net.TCPConn's. Dialed and accepted connections have them on, every 15 s.
func (c *Conn) SetKeepAlive(keepalive bool) error { return {{.ConnFD}}.SetKeepAlive(keepalive) }

// SetKeepAlivePeriod sets the idle time before the first keep-alive probe
// (TCP_KEEPIDLE), rounded up to whole seconds, as net.TCPConn's: 0 means 15
// s, a negative period leaves it as it is.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error { return {{.ConnFD}}.SetKeepAlivePeriod(d) }

// SetKeepAliveConfig sets every keep-alive parameter, as net.TCPConn's:
// Enable, then Idle, Interval and Count (0: net's defaults, 15 s, 15 s, 9;
// negative: left as they are).
func (c *Conn) SetKeepAliveConfig(config net.KeepAliveConfig) error {
	return {{.ConnFD}}.SetKeepAliveConfig(config)
}

// SetLinger sets SO_LINGER, as net.TCPConn's: sec < 0 (the default) lets
// Close return at once and the kernel send what is left; 0 discards unsent
// data and resets the connection; sec > 0 lets the kernel try that long.
func (c *Conn) SetLinger(sec int) error { return {{.ConnFD}}.SetLinger(sec) }

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF).
func (c *Conn) SetReadBuffer(bytes int) error { return {{.ConnFD}}.SetReadBuffer(bytes) }

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF).
func (c *Conn) SetWriteBuffer(bytes int) error { return {{.ConnFD}}.SetWriteBuffer(bytes) }

// SyscallConn returns the raw connection, as net's SyscallConn does:
// Control runs a function on the descriptor; Read and Write call a function
// until it reports done, waiting the model's way for the descriptor to be
// ready in between, under the Conn's deadlines. After Close the RawConn's
// calls fail with an error wrapping net.ErrClosed.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	return {{.ConnFD}}.RawConn(), nil
}

// File returns a copy of the descriptor as an *os.File, as net's File
// does: closing either leaves the other open.
func (c *Conn) File() (*os.File, error) { return {{.ConnFD}}.File() }

// SyscallConn returns the listening socket's raw connection, as net's
// listeners' SyscallConn does.
func (l *Listener) SyscallConn() (syscall.RawConn, error) {
	return {{.ListenFD}}.RawConn(), nil
}

// File returns a copy of the listening socket as an *os.File, as net's
// listeners' File does.
func (l *Listener) File() (*os.File, error) { return {{.ListenFD}}.File() }

// SetUnlinkOnClose sets whether Close removes a Unix listener's socket
// file, as net.UnixListener's: Listen's listeners do by default.
func (l *Listener) SetUnlinkOnClose(unlink bool) { {{.ListenFD}}.SetUnlinkOnClose(unlink) }

{{- if .Options}}
// newWithOptions is New's work: the options, checked, then the model's openConn.
func newWithOptions(fd int, opts []Option) (*Conn, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, iofd.NewError(model, fd, err)
	}
	c, _, err := openConn(fd, nil, o)
	return c, err
}
{{end}}
// Dial connects to address on the named network ("tcp", "tcp4", "tcp6",
// "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket"), as net.Dial
// does: a zero Dialer's Dial. On a datagram network the *Conn it returns
// is a net.Conn but not a net.PacketConn (its ReadFrom and WriteTo are a
// stream's io.ReaderFrom and io.WriterTo); DialContext and
// Dialer.DialPacket return the *PacketConn that is both, as net's
// Dial("udp") result is.
func Dial(network, address string{{if .Options}}, opts ...Option{{end}}) (*Conn, error) {
	d := Dialer{ {{- if .Options}}Options: opts{{end -}} }
	return d.Dial(network, address)
}

// DialContext is a zero Dialer's DialContext, for http.Transport's
// DialContext, grpc.WithContextDialer and the like, which take a function
// returning a net.Conn. As net's, what it returns on a datagram network
// ("udp", "udp4", "udp6", "unixgram") is a net.PacketConn too, a
// *PacketConn (see Dialer.DialPacket); on a stream or seqpacket network
// it is a *Conn.
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d Dialer
	if iofd.IsDatagram(network) {
		p, err := d.DialPacket(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Dialer holds the options for connecting, with net.Dialer's names and
// meanings; its zero value dials as net.Dial does.
type Dialer struct {
	// Timeout bounds the whole dial, resolution included; 0 means none.
	Timeout time.Duration
	// Deadline is an absolute time after which the dial fails.
	Deadline time.Time
	// LocalAddr is the local address to dial from (nil: any).
	LocalAddr net.Addr
	// KeepAlive is the idle time before keep-alive probes on a TCP
	// connection: 0 is 15 s, negative turns them off (unless
	// KeepAliveConfig.Enable).
	KeepAlive time.Duration
	// KeepAliveConfig, if Enable, sets keep-alive in full.
	KeepAliveConfig net.KeepAliveConfig
	// Control, if not nil, is called with the raw socket after it is made
	// and before it is bound and connected.
	Control func(network, address string, c syscall.RawConn) error
	// ControlContext is Control with the dial's context; it takes
	// precedence over Control.
	ControlContext func(ctx context.Context, network, address string, c syscall.RawConn) error
	// Resolver looks host names up (nil: net.DefaultResolver).
	Resolver *net.Resolver
	// FallbackDelay is how long a "tcp" dial waits for its first address
	// family before racing the other (RFC 6555): 0 is 300 ms, negative
	// turns the race off.
	FallbackDelay time.Duration
{{- if .Options}}
	// Options are the model's options for the connections it makes.
	Options []Option
{{- end}}
}

func (d *Dialer) config() *iofd.DialConfig {
	return &iofd.DialConfig{
		Timeout: d.Timeout, Deadline: d.Deadline, LocalAddr: d.LocalAddr,
		KeepAlive: d.KeepAlive, KeepAliveConfig: d.KeepAliveConfig,
		Control: d.Control, ControlContext: d.ControlContext,
		Resolver: d.Resolver, FallbackDelay: d.FallbackDelay,
	}
}

// Dial is DialContext with a context that never ends.
func (d *Dialer) Dial(network, address string) (*Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address on the named network, the model's way,
// with net.Dialer's semantics: host names are resolved with ctx and each
// address is tried in turn; cancelling ctx, or its deadline, Timeout or
// Deadline passing, ends a pending connect. Errors are *net.OpError with
// Op "dial"; a cancelled or timed-out dial's error is context.Canceled or
// context.DeadlineExceeded for errors.Is, as net's is. It returns a *Conn on
// every network; on a datagram network Dialer.DialPacket returns the
// socket as a *PacketConn, which is a net.PacketConn too, as net's
// Dial("udp") result is.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (*Conn, error) {
{{- if .Options}}
	o, err := makeOptions(d.Options)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	return iofd.DialContext(ctx, d.config(), model, network, address, dialOpener(o))
{{- else}}
	return iofd.DialContext(ctx, d.config(), model, network, address, dialOpener())
{{- end}}
}

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix",
// "unixpacket"), as net.Listen does: a zero ListenConfig's Listen.
func Listen(network, address string{{if .Options}}, opts ...Option{{end}}) (*Listener, error) {
	lc := ListenConfig{ {{- if .Options}}Options: opts{{end -}} }
	return lc.Listen(context.Background(), network, address)
}

// ListenConfig holds the options for listening, with net.ListenConfig's
// names and meanings.
type ListenConfig struct {
	// Control, if not nil, is called with the raw socket after it is made
	// and before it is bound: where SO_REUSEPORT is set, to run one
	// listener per CPU on one port.
	Control func(network, address string, c syscall.RawConn) error
	// KeepAlive is the keep-alive idle time of accepted TCP connections,
	// as Dialer's.
	KeepAlive time.Duration
	// KeepAliveConfig, if Enable, sets accepted connections' keep-alive
	// in full.
	KeepAliveConfig net.KeepAliveConfig
{{- if .Options}}
	// Options are the model's options for the listener and the
	// connections it accepts.
	Options []Option
{{- end}}
}

// Listen announces on address ("tcp", "tcp4", "tcp6", "unix",
// "unixpacket"), as net.ListenConfig's does.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (*Listener, error) {
	c := &iofd.ListenConfig{Control: lc.Control, KeepAlive: lc.KeepAlive, KeepAliveConfig: lc.KeepAliveConfig}
{{- if .Options}}
	o, err := makeOptions(lc.Options)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return iofd.ListenContext(ctx, c, model, network, address, listenOpener(o))
{{- else}}
	return iofd.ListenContext(ctx, c, model, network, address, listenOpener())
{{- end}}
}
`
