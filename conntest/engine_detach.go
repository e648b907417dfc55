package conntest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/iomodel/iomodel"
)

// testEngineDetach: a handler that consumes a header and detaches gets a
// net.Conn that reads the bytes the loop held first, then the socket.
func testEngineDetach(t *testing.T, ne NewEngine) {
	const header = "UPGRADE\n"
	var g goroutines
	h := newHandler()
	h.data = func(c iomodel.EventConn, p []byte) int {
		if len(p) < len(header) {
			return 0 // wait for the whole header
		}
		nc, err := c.Detach()
		if err != nil {
			h.fail("Detach in OnData: %v", err)
			return len(p)
		}
		g.Go(func() {
			defer nc.Close()
			io.Copy(nc, nc) // echo on the model's Conn
		})
		return len(header)
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	r := newRand(t)
	data := randomBytes(r, 200<<10)
	// The header and the first bytes in one write, so the loop reads some
	// of the stream before the handler detaches; one byte at a time first,
	// so OnData leaves a partial header with the loop.
	c.Write([]byte(header[:1]))
	waitFor(t, "the first byte read", func() bool { return s.e.Stats().BytesRead == 1 })
	c.Write(append([]byte(header[1:]), data[:1000]...))
	if err := exchange(t, r, c, data[1000:], data); err != nil {
		t.Fatal(err)
	}
	c.Close()
	g.Wait(t)
	select {
	case r := <-h.closed:
		t.Errorf("OnClose(%v) for a detached connection", r.err)
	default:
	}
	if st := s.e.Stats(); st.Open != 0 || st.Closed != 1 {
		t.Errorf("EngineStats %+v after Detach: want Open 0, Closed 1", st)
	}
}

// testEngineDetachTLS: detached in OnOpen, the connection speaks TLS with
// crypto/tls.
func testEngineDetachTLS(t *testing.T, ne NewEngine) {
	cert, pool := selfSigned(t)
	var g goroutines
	h := newHandler()
	h.open = func(c iomodel.EventConn) {
		nc, err := c.Detach()
		if err != nil {
			h.fail("Detach in OnOpen: %v", err)
			return
		}
		g.Go(func() {
			tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}})
			defer tc.Close()
			tc.SetDeadline(time.Now().Add(step))
			line, err := bufio.NewReader(tc).ReadString('\n')
			if err != nil {
				h.fail("TLS server read: %v", err)
				return
			}
			tc.Write([]byte("you said " + line))
		})
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	tc := tls.Client(s.dial(), &tls.Config{RootCAs: pool, ServerName: "iomodel.test"})
	defer tc.Close()
	tc.Write([]byte("hello\n"))
	got, err := io.ReadAll(tc)
	g.Wait(t)
	if err != nil || string(got) != "you said hello\n" {
		t.Fatalf("TLS over a detached connection: %q, %v", got, err)
	}
}

// selfSigned makes a certificate for iomodel.test and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "iomodel.test"},
		DNSNames:     []string{"iomodel.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// testEngineDetachRefused: Detach from another goroutine (while OnOpen
// runs, and after), or with output queued, fails and leaves the connection
// on the loop.
func testEngineDetachRefused(t *testing.T, ne NewEngine) {
	during := make(chan error, 1)
	opened := make(chan iomodel.EventConn, 1)
	queued := make(chan error, 1)
	h := newHandler().echo()
	h.open = func(c iomodel.EventConn) {
		// OnOpen waits for the other goroutine's Detach: a callback is
		// running, but not on the caller's goroutine.
		done := make(chan error, 1)
		go func() {
			_, err := c.Detach()
			done <- err
		}()
		select {
		case err := <-done:
			during <- err
		case <-time.After(step):
			during <- errors.New("did not return")
		}
		opened <- c
	}
	s := serve(t, ne, h, iomodel.EngineConfig{})
	c := s.dial()
	if err := <-during; err == nil || err.Error() == "did not return" {
		t.Fatalf("Detach from another goroutine while OnOpen ran: %v, want it refused", err)
	}
	ec := <-opened
	if _, err := ec.Detach(); err == nil {
		t.Fatal("Detach after OnOpen returned succeeded")
	}
	c.Write([]byte("still here"))
	if got := readN(t, c, 10, "echo after a refused Detach"); string(got) != "still here" {
		t.Fatalf("got %q", got)
	}

	h2 := newHandler()
	h2.open = func(c iomodel.EventConn) {
		c.Write(make([]byte, 16<<20))
		_, err := c.Detach()
		queued <- err
		c.Close()
	}
	s2 := serve(t, ne, h2, iomodel.EngineConfig{FlushTimeout: 100 * time.Millisecond})
	s2.dial() // a client that never reads
	if err := <-queued; err == nil || !bytes.Contains([]byte(err.Error()), []byte("queued")) {
		t.Errorf("Detach with output queued: %v, want an error saying so", err)
	}
	h2.waitClose(t, "Close after a refused Detach")
}
