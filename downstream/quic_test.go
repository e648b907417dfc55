package downstream

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// quicPacketConn is what quic-go needs of a PacketConn to take its fast
// path (batched reads with ReadBatch, GSO and ECN through WriteMsgUDP's
// control messages): *net.UDPConn's methods, and ReadBatch, which net's
// lacks (quic-go then batches through x/net's ipv4.PacketConn).
type quicPacketConn interface {
	net.PacketConn
	SyscallConn() (syscall.RawConn, error)
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
	ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
	WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error)
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// fastPath counts, on a model's PacketConn, the calls that show quic-go
// took its fast path: ReadBatch, sends with a UDP_SEGMENT (GSO) control
// message and sends with an ECN codepoint (IP_TOS), beside the plain
// ReadFrom it would use without one.
type fastPath struct {
	quicPacketConn
	batches, readFroms, gso, ecn atomic.Int64
}

func (f *fastPath) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	f.batches.Add(1)
	return f.quicPacketConn.ReadBatch(ms, flags)
}

func (f *fastPath) ReadFrom(b []byte) (int, net.Addr, error) {
	f.readFroms.Add(1)
	return f.quicPacketConn.ReadFrom(b)
}

func (f *fastPath) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_UDP && m.Header.Type == unix.UDP_SEGMENT:
			f.gso.Add(1)
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TOS,
			m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_TCLASS:
			f.ecn.Add(1)
		}
	}
	return f.quicPacketConn.WriteMsgUDP(b, oob, addr)
}

// quicTLS is a self-signed certificate for "localhost", and the client's
// config that trusts it.
func quicTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"echo"}}
	client = &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"echo"}}
	return server, client
}

// quicSize is what each stream carries each way.
const quicSize = 1 << 20

// TestQUIC echoes 1 MiB over a quic-go stream with each model's
// PacketConn as the server's and, in turn, as the client's socket (the
// other end on package net's), and checks on the model's that quic-go
// read it with ReadBatch and sent with GSO and ECN where the kernel has
// them.
func TestQUIC(t *testing.T) {
	serverTLS, clientTLS := quicTLS(t)
	forEachModel(t, func(t *testing.T, m model) {
		for _, role := range []string{"server", "client"} {
			if m.isNet() && role == "client" {
				continue // net on both ends once is the control
			}
			t.Run(role, func(t *testing.T) {
				listenServer, listenClient := m.listenPacket, net.ListenPacket
				if role == "client" {
					listenServer, listenClient = net.ListenPacket, m.listenPacket
				}
				sp, err := listenServer("udp", "127.0.0.1:0")
				if err != nil {
					t.Fatalf("%s: the server's ListenPacket: %v", m.name, err)
				}
				cp, err := listenClient("udp", "127.0.0.1:0")
				if err != nil {
					sp.Close()
					t.Fatalf("%s: the client's ListenPacket: %v", m.name, err)
				}
				var fp *fastPath
				if !m.isNet() {
					mine := &sp
					if role == "client" {
						mine = &cp
					}
					q, ok := (*mine).(quicPacketConn)
					if !ok {
						t.Fatalf("%s: the %T lacks a method quic-go's fast path needs", m.name, *mine)
					}
					fp = &fastPath{quicPacketConn: q}
					*mine = fp
				}
				quicEcho(t, m, sp, cp, serverTLS, clientTLS)
				if fp == nil {
					return
				}
				t.Logf("%s as the %s: %d ReadBatch, %d ReadFrom, %d sends with GSO, %d with ECN", m.name, role, fp.batches.Load(), fp.readFroms.Load(), fp.gso.Load(), fp.ecn.Load())
				if fp.batches.Load() == 0 || fp.readFroms.Load() != 0 {
					t.Errorf("%s as the %s: quic-go read with ReadBatch %d times and ReadFrom %d times; want only ReadBatch", m.name, role, fp.batches.Load(), fp.readFroms.Load())
				}
				if fp.ecn.Load() == 0 {
					t.Errorf("%s as the %s: no send carried an ECN codepoint", m.name, role)
				}
				if fp.gso.Load() == 0 && gsoHere(t) {
					t.Errorf("%s as the %s: no send used GSO, which the kernel has", m.name, role)
				}
			})
		}
	})
}

// gsoHere reports whether the kernel has UDP GSO (Linux 4.18), which
// quic-go probes with getsockopt(UDP_SEGMENT).
func gsoHere(t *testing.T) bool {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	rc.Control(func(fd uintptr) { _, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT) })
	return serr == nil
}

// quicEcho runs a quic-go server on sp that echoes each stream, and a
// client on cp that sends quicSize bytes on one stream and reads them
// back.
func quicEcho(t *testing.T, m model, sp, cp net.PacketConn, serverTLS, clientTLS *tls.Config) {
	st := &quic.Transport{Conn: sp}
	defer st.Close()
	ct := &quic.Transport{Conn: cp}
	defer ct.Close()
	ln, err := st.Listen(serverTLS, nil)
	if err != nil {
		t.Fatalf("%s: quic Listen: %v", m.name, err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		conn, err := ln.Accept(ctx)
		if err != nil {
			served <- err
			return
		}
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			served <- err
			return
		}
		_, err = io.Copy(s, s)
		if err == nil {
			err = s.Close()
		}
		served <- err
		<-ctx.Done() // the client closes the connection; cancel ends the wait
	}()
	want := make([]byte, quicSize)
	rand.Read(want)
	var conn *quic.Conn
	step(t, m, "quic Dial", func() (err error) {
		conn, err = ct.Dial(ctx, sp.LocalAddr(), clientTLS, nil)
		return err
	})
	defer conn.CloseWithError(0, "")
	step(t, m, "1 MiB each way on a stream", func() error {
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		s.SetDeadline(time.Now().Add(stepTimeout))
		wrote := make(chan error, 1)
		go func() {
			_, err := s.Write(want)
			if err == nil {
				err = s.Close() // the send side only
			}
			wrote <- err
		}()
		got, err := io.ReadAll(s)
		if err != nil {
			return errorf("reading the echo after %d bytes: %v", len(got), err)
		}
		if err := <-wrote; err != nil {
			return errorf("writing: %v", err)
		}
		if !bytes.Equal(got, want) {
			return errorf("the echo is %d bytes and not what was sent (%d bytes)", len(got), len(want))
		}
		return nil
	})
	step(t, m, "the server's echo", func() error { return <-served })
}
