package iofd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollDriver is the simplest readiness Driver there is: the system call,
// and between attempts poll(2) on the descriptor for the Half's direction,
// for at most 10 ms, so that Close and deadlines are seen soon after.
type pollDriver struct{}

func (pollDriver) Try(fd *FD, h *Half, c *Call) (int, error) { return c.Sys(fd, h) }
func (pollDriver) Wait(fd *FD, h *Half, c *Call) (int, error) {
	if err := fd.PollReady(h); err != nil {
		return 0, err
	}
	return c.Woken()
}
func (pollDriver) Evict(*FD, *Half) {}
func (pollDriver) Destroy(*FD)      {}

// skipDriver is a Driver that would have the kernel perform every call and
// can perform none: each call's first attempt is skipped (Call.Skip), and
// its Wait, which notes the kind it was asked for, waits for readiness and
// has the loop make the system call itself.
type skipDriver struct{ waits sync.Map }

func (d *skipDriver) Try(fd *FD, h *Half, c *Call) (int, error) {
	if c.Attempt == 0 {
		return c.Skip()
	}
	return c.Sys(fd, h)
}
func (d *skipDriver) Wait(fd *FD, h *Half, c *Call) (int, error) {
	d.waits.Store(c.Kind, true)
	if c.Tried() {
		if err := fd.PollReady(h); err != nil {
			return 0, err
		}
	}
	return c.Woken()
}
func (d *skipDriver) Evict(*FD, *Half) {}
func (d *skipDriver) Destroy(*FD)      {}

// sleepDriver is the blocking model at its simplest: the descriptor is in
// blocking mode and each attempt sleeps in the kernel, a socket's with a
// timeout (SO_RCVTIMEO, SO_SNDTIMEO) of the time left before the deadline
// and at most 50 ms, so that a deadline moved meanwhile is seen soon after;
// connect and RawConn wait in poll(2). Close shuts down the busy
// directions, which wakes their calls (ShutdownBusy).
type sleepDriver struct{}

func (sleepDriver) Try(fd *FD, h *Half, c *Call) (int, error) {
	if fd.Kind.IsSocket() && c.Kind != OpConnect && c.Kind != OpPoll {
		left := 50 * time.Millisecond
		if dl := h.Deadline(); dl != 0 {
			left = min(left, time.Until(time.Unix(0, dl)))
		}
		if left <= 0 {
			return c.Woken() // the loop's check reports the deadline
		}
		opt := unix.SO_RCVTIMEO
		if h.Dir() == Write {
			opt = unix.SO_SNDTIMEO
		}
		tv := unix.NsecToTimeval(int64(left + time.Microsecond - 1))
		if err := unix.SetsockoptTimeval(fd.Sysfd, unix.SOL_SOCKET, opt, &tv); err != nil {
			return 0, err
		}
	}
	return c.Sys(fd, h)
}
func (sleepDriver) Wait(fd *FD, h *Half, c *Call) (int, error) {
	if c.Kind == OpConnect || c.Kind == OpPoll {
		if err := fd.PollReady(h); err != nil {
			return 0, err
		}
	}
	return c.Woken() // a timeout ran out: the loop's check decides
}
func (sleepDriver) Evict(fd *FD, h *Half) {
	if h == nil {
		fd.ShutdownBusy()
	}
}
func (sleepDriver) Destroy(*FD) {}

type mode struct {
	name string
	cfg  func() Config
}

var modes = []mode{
	{"nonblocking", func() Config { return Config{Model: "test", Mode: Nonblocking, Driver: pollDriver{}} }},
	{"blocking", func() Config { return Config{Model: "test", Mode: Blocking, Driver: sleepDriver{}} }},
	{"completion-skip", func() Config { return Config{Model: "test", Mode: Completion, Driver: &skipDriver{}} }},
}

func opener(cfg Config) Opener[*FD] {
	return func(s int, remote net.Addr) (*FD, *FD, error) {
		c := cfg
		c.Remote = remote
		fd, err := New(s, c)
		return fd, fd, err
	}
}

// packetPair is ours and net's control, listening on the same network.
func packetPair(t *testing.T, m mode, network, addr string) (*FD, net.PacketConn) {
	t.Helper()
	a1, a2 := addr, addr
	if network == "unixgram" {
		dir := t.TempDir()
		a1, a2 = filepath.Join(dir, "ours"), filepath.Join(dir, "net")
	}
	fd, err := ListenPacket("test", network, a1, opener(m.cfg()))
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := net.ListenPacket(network, a2)
	if err != nil {
		fd.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close(); ctl.Close() })
	return fd, ctl
}

// client is net's socket that talks to both.
func client(t *testing.T, network string) net.PacketConn {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unixgram" {
		addr = filepath.Join(t.TempDir(), "client")
	}
	c, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ours is the FD as a net.PacketConn, so that the same test code drives
// it and net's control.
type ours struct{ *FD }

func (o ours) SetDeadline(t time.Time) error { return o.FD.SetDeadline(t) }

var _ net.PacketConn = ours{}

func TestPacketAgainstNet(t *testing.T) {
	for _, m := range modes {
		for _, network := range []string{"udp4", "unixgram"} {
			t.Run(m.name+"/"+network, func(t *testing.T) {
				laddr := "127.0.0.1:0"
				fd, ctl := packetPair(t, m, network, laddr)
				cl := client(t, network)
				for _, pc := range []net.PacketConn{ours{fd}, ctl} {
					name := fmt.Sprintf("%T", pc)
					// Sender address, and a reply to it.
					if _, err := cl.WriteTo([]byte("hello"), pc.LocalAddr()); err != nil {
						t.Fatal(err)
					}
					buf := make([]byte, 64)
					n, from, err := pc.ReadFrom(buf)
					if err != nil || string(buf[:n]) != "hello" || from.String() != cl.LocalAddr().String() || from.Network() != cl.LocalAddr().Network() {
						t.Fatalf("%s: ReadFrom = %d %q %v (%s), %v; want 5 hello %v", name, n, buf[:n], from, from.Network(), err, cl.LocalAddr())
					}
					if _, err := pc.WriteTo([]byte("back"), from); err != nil {
						t.Fatalf("%s: WriteTo: %v", name, err)
					}
					cl.SetReadDeadline(time.Now().Add(5 * time.Second))
					n, from2, err := cl.ReadFrom(buf)
					if err != nil || string(buf[:n]) != "back" || from2.String() != pc.LocalAddr().String() {
						t.Fatalf("%s: the reply: %q from %v, %v", name, buf[:n], from2, err)
					}
					// Truncation: n is what fit, the rest is gone.
					cl.WriteTo(bytes.Repeat([]byte("x"), 100), pc.LocalAddr())
					cl.WriteTo([]byte("next"), pc.LocalAddr())
					small := make([]byte, 10)
					if n, _, err := pc.ReadFrom(small); n != 10 || err != nil {
						t.Fatalf("%s: truncated ReadFrom = %d, %v; want 10, nil", name, n, err)
					}
					if n, _, err := pc.ReadFrom(buf); string(buf[:n]) != "next" || err != nil {
						t.Fatalf("%s: after truncation read %q, %v; want next", name, buf[:n], err)
					}
					// An empty datagram is 0, nil.
					cl.WriteTo(nil, pc.LocalAddr())
					if n, from, err := pc.ReadFrom(buf); n != 0 || err != nil || from == nil {
						t.Fatalf("%s: empty datagram: %d, %v, %v", name, n, from, err)
					}
					// A deadline.
					pc.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
					_, _, err = pc.ReadFrom(buf)
					var ne net.Error
					if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
						t.Fatalf("%s: ReadFrom past the deadline: %v", name, err)
					}
					pc.SetReadDeadline(time.Time{})
				}
				// MSG_TRUNC as ReadMsgUDP / ReadMsgUnix report it.
				cl.WriteTo(bytes.Repeat([]byte("y"), 50), fd.LocalAddr())
				var flags int
				var err error
				if network == "unixgram" {
					_, _, flags, _, err = fd.ReadMsgUnix(make([]byte, 5), nil)
				} else {
					_, _, flags, _, err = fd.ReadMsgUDP(make([]byte, 5), nil)
				}
				if err != nil || flags&unix.MSG_TRUNC == 0 {
					t.Fatalf("ReadMsg of a truncated datagram: flags %#x, %v; want MSG_TRUNC", flags, err)
				}
			})
		}
	}
}

func TestPacketCloseUnblocksReadFrom(t *testing.T) {
	for _, m := range modes {
		for _, network := range []string{"udp4", "unixgram"} {
			t.Run(m.name+"/"+network, func(t *testing.T) {
				fd, ctl := packetPair(t, m, network, "127.0.0.1:0")
				for _, pc := range []net.PacketConn{ours{fd}, ctl} {
					done := make(chan error)
					go func() {
						_, _, err := pc.ReadFrom(make([]byte, 10))
						done <- err
					}()
					// Wait until the reader is in its call: the read lock
					// is held (ours), or give net's a moment to block.
					for o, ok := pc.(ours); ok && !o.Read.Busy(); {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(20 * time.Millisecond)
					pc.Close()
					select {
					case err := <-done:
						if !errors.Is(err, net.ErrClosed) {
							t.Errorf("%T: ReadFrom after Close: %v, want net.ErrClosed", pc, err)
						}
					case <-time.After(10 * time.Second):
						t.Fatalf("%T: Close did not unblock ReadFrom", pc)
					}
				}
			})
		}
	}
}

func TestPacketConcurrentReadWrite(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			fd, _ := packetPair(t, m, "udp4", "127.0.0.1:0")
			peer := client(t, "udp4")
			const count = 200
			// The peer echoes.
			go func() {
				buf := make([]byte, 64)
				for i := 0; i < count; i++ {
					n, from, err := peer.ReadFrom(buf)
					if err != nil {
						return
					}
					peer.WriteTo(buf[:n], from)
				}
			}()
			var wg sync.WaitGroup
			wg.Add(1)
			errs := make(chan error, 2)
			go func() {
				defer wg.Done()
				for i := 0; i < count; i++ {
					if _, err := fd.WriteTo([]byte{byte(i)}, peer.LocalAddr()); err != nil {
						errs <- err
						return
					}
				}
			}()
			fd.SetReadDeadline(time.Now().Add(10 * time.Second))
			seen := make(map[byte]bool)
			buf := make([]byte, 64)
			for len(seen) < count {
				n, _, err := fd.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("after %d echoes: %v", len(seen), err)
				}
				if n == 1 {
					seen[buf[0]] = true
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

func TestPacketBadInput(t *testing.T) {
	m := modes[0]
	fd, ctl := packetPair(t, m, "udp4", "127.0.0.1:0")
	for _, pc := range []net.PacketConn{ours{fd}, ctl} {
		_, err := pc.WriteTo([]byte("x"), nil)
		var oe *net.OpError
		// nil is not a *UDPAddr: EINVAL, as net's.
		if !errors.As(err, &oe) || oe.Op != "write" || oe.Err != unix.EINVAL {
			t.Errorf("%T: WriteTo(nil) = %v; want a write OpError with Err EINVAL", pc, err)
		}
		if _, err := pc.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.As(err, &oe) || oe.Err != unix.EINVAL {
			t.Errorf("%T: WriteTo(*TCPAddr) = %v; want an OpError with Err EINVAL", pc, err)
		}
		var ae *net.AddrError
		if _, err := pc.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("::1"), Port: 9}); !errors.As(err, &ae) || ae.Err != "non-IPv4 address" {
			t.Errorf("%T: WriteTo(IPv6 on udp4) = %v; want a *net.AddrError \"non-IPv4 address\"", pc, err)
		}
	}
	if _, err := fd.WriteToUDPAddrPort([]byte("x"), netip.AddrPort{}); err == nil || !strings.Contains(err.Error(), "missing address") {
		t.Errorf("WriteToUDPAddrPort(zero) = %v; want missing address", err)
	}

	// A unixgram write to a path that is gone.
	ufd, uctl := packetPair(t, m, "unixgram", "")
	gone := &net.UnixAddr{Name: filepath.Join(t.TempDir(), "gone"), Net: "unixgram"}
	for _, pc := range []net.PacketConn{ours{ufd}, uctl} {
		_, err := pc.WriteTo([]byte("x"), gone)
		var oe *net.OpError
		if !errors.Is(err, unix.ENOENT) || !errors.As(err, &oe) || oe.Addr.String() != gone.Name {
			t.Errorf("%T: WriteTo a gone path = %v; want ENOENT naming it", pc, err)
		}
	}
	if _, err := ufd.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("unixgram WriteTo(*UDPAddr) = %v; want EINVAL", err)
	}
}

// TestPacketUnixgramFileStays: as net's, closing a unixgram socket leaves
// its file; SetUnlinkOnClose(true) removes it.
func TestPacketUnixgramFileStays(t *testing.T) {
	for _, unlink := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "s")
		fd, err := ListenPacket("test", "unixgram", path, opener(modes[0].cfg()))
		if err != nil {
			t.Fatal(err)
		}
		if unlink {
			fd.SetUnlinkOnClose(true)
		}
		fd.Close()
		ctl, err := net.ListenPacket("unixgram", path+"-net")
		if err != nil {
			t.Fatal(err)
		}
		ctl.Close()
		_, errOurs := os.Stat(path)
		_, errNet := os.Stat(path + "-net")
		if unlink != (errOurs != nil) || errNet != nil {
			t.Errorf("unlink=%v: after Close, our file: %v, net's: %v", unlink, errOurs, errNet)
		}
	}
}

func TestPacketAddrPortAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	fd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	dst := fd.LocalAddr().(*net.UDPAddr).AddrPort()
	p, buf := []byte("ping"), make([]byte, 16)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := fd.WriteToUDPAddrPort(p, dst); err != nil {
			t.Fatal(err)
		}
		if n, from, err := fd.ReadFromUDPAddrPort(buf); err != nil || n != 4 || from != dst {
			t.Fatal(n, from, err)
		}
	})
	if allocs != 0 {
		t.Errorf("WriteToUDPAddrPort+ReadFromUDPAddrPort: %v allocations, want 0", allocs)
	}
}

func TestListenPacketErrors(t *testing.T) {
	_, err := ListenPacket("test", "tcp", "127.0.0.1:0", opener(modes[0].cfg()))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "listen" {
		t.Errorf("ListenPacket(tcp) = %v; want a listen OpError", err)
	}
	fd, _ := packetPair(t, modes[0], "udp4", "127.0.0.1:0")
	_, err = ListenPacket("test", "udp4", fd.LocalAddr().String(), opener(modes[0].cfg()))
	_, errNet := net.ListenPacket("udp4", fd.LocalAddr().String())
	if !errors.Is(err, unix.EADDRINUSE) || !errors.Is(errNet, unix.EADDRINUSE) || !errors.As(err, &oe) || oe.Addr.String() != fd.LocalAddr().String() {
		t.Errorf("ListenPacket on a port in use = %v (net: %v); want EADDRINUSE", err, errNet)
	}
	// Control runs before bind, as net's.
	called := false
	lc := &ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		called = network == "udp4"
		return nil
	}}
	fd2, err := ListenPacketContext(t.Context(), lc, "test", "udp4", "127.0.0.1:0", opener(modes[0].cfg()))
	if err != nil || !called {
		t.Fatalf("ListenPacketContext with Control: %v, called=%v", err, called)
	}
	fd2.Close()
}

func TestMmsghdrLayout(t *testing.T) {
	want := uintptr(64)
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 32
	}
	if got := unsafe.Sizeof(Mmsghdr{}); got != want {
		t.Errorf("sizeof(struct mmsghdr) = %d, want %d", got, want)
	}
	if off := unsafe.Offsetof(Mmsghdr{}.Len); off != unsafe.Sizeof(unix.Msghdr{}) {
		t.Errorf("msg_len at %d, want %d", off, unsafe.Sizeof(unix.Msghdr{}))
	}
}
