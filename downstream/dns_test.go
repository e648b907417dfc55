package downstream

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// answer is the address every query gets (TEST-NET-1, RFC 5737).
const answer = "192.0.2.1"

// dnsHandler answers every A question with answer.
func dnsHandler(w dns.ResponseWriter, q *dns.Msg) {
	r := new(dns.Msg)
	r.SetReply(q)
	for _, question := range q.Question {
		rr, err := dns.NewRR(question.Name + " 60 IN A " + answer)
		if err == nil {
			r.Answer = append(r.Answer, rr)
		}
	}
	w.WriteMsg(r)
}

// checkAnswer checks that r answers the A question for example.org.
func checkAnswer(r *dns.Msg) error {
	if r == nil || len(r.Answer) != 1 {
		return errorf("the reply has no single answer: %v", r)
	}
	a, ok := r.Answer[0].(*dns.A)
	if !ok || a.A.String() != answer {
		return errorf("the answer is %v, want %s", r.Answer[0], answer)
	}
	return nil
}

// startDNS serves dnsHandler with srv (its PacketConn or Listener set)
// and returns the function that shuts it down, bounded.
func startDNS(t *testing.T, m model, what string, srv *dns.Server) (stop func()) {
	t.Helper()
	started := make(chan struct{})
	srv.Handler = dns.HandlerFunc(dnsHandler)
	srv.NotifyStartedFunc = func() { close(started) }
	served := serve(t, m, what+" ActivateAndServe", srv.ActivateAndServe, func(err error) bool { return err == nil })
	select {
	case <-started:
	case <-time.After(stepTimeout):
		t.Fatalf("%s: the %s did not start in %v", m.name, what, stepTimeout)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		if err := srv.ShutdownContext(ctx); err != nil {
			t.Errorf("%s: the %s's Shutdown: %v", m.name, what, err)
		}
		served()
	}
}

// TestDNS runs miekg/dns servers on each model's PacketConn and Listener
// and queries them with dns.Client, with dig when it is installed (Debian
// dnsutils), and with a dns.Conn over the model's DialContext("udp") and
// DialContext("tcp") conns, which dns tells apart by asserting
// net.PacketConn.
func TestDNS(t *testing.T) {
	dig, digErr := exec.LookPath("dig")
	forEachModel(t, func(t *testing.T, m model) {
		pc, err := m.listenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("%s: ListenPacket: %v", m.name, err)
		}
		defer startDNS(t, m, "UDP server", &dns.Server{PacketConn: pc})()
		l, err := m.listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("%s: Listen: %v", m.name, err)
		}
		defer startDNS(t, m, "TCP server", &dns.Server{Listener: l})()

		q := new(dns.Msg).SetQuestion("example.org.", dns.TypeA)
		for _, c := range []struct{ net, addr string }{{"udp", pc.LocalAddr().String()}, {"tcp", l.Addr().String()}} {
			step(t, m, "dns.Client over "+c.net, func() error {
				cl := &dns.Client{Net: c.net, Timeout: stepTimeout / 2}
				for range 20 {
					r, _, err := cl.Exchange(q, c.addr)
					if err != nil {
						return err
					}
					if err := checkAnswer(r); err != nil {
						return err
					}
				}
				return nil
			})
			step(t, m, "a dns.Conn over DialContext("+c.net+")", func() error {
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout/2)
				defer cancel()
				nc, err := m.dialContext(ctx, c.net, c.addr)
				if err != nil {
					return err
				}
				defer nc.Close()
				if _, ok := nc.(net.PacketConn); ok != (c.net == "udp") {
					return errorf("DialContext(%s) gave a %T: net.PacketConn is %v, want %v", c.net, nc, ok, c.net == "udp")
				}
				co := &dns.Conn{Conn: nc}
				co.SetDeadline(time.Now().Add(stepTimeout / 2))
				for range 20 {
					if err := co.WriteMsg(q); err != nil {
						return err
					}
					r, err := co.ReadMsg()
					if err != nil {
						return err
					}
					if err := checkAnswer(r); err != nil {
						return err
					}
				}
				return nil
			})
			if digErr != nil {
				t.Logf("dig is not installed (%v): no dig queries", digErr)
				continue
			}
			step(t, m, "dig over "+c.net, func() error {
				host, port, _ := net.SplitHostPort(c.addr)
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout/2)
				defer cancel()
				args := []string{"@" + host, "-p", port, "+short", "+tries=1", "+time=5", "example.org", "A"}
				if c.net == "tcp" {
					args = append(args, "+tcp")
				}
				out, err := exec.CommandContext(ctx, dig, args...).CombinedOutput()
				if err != nil {
					return errorf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				if got := strings.TrimSpace(string(out)); got != answer {
					return errorf("dig %s answered %q, want %s", strings.Join(args, " "), got, answer)
				}
				return nil
			})
		}
	})
}
