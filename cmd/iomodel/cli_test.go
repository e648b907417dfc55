//go:build linux

package main

import (
	"net"
	"strings"
	"testing"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

// TestUsageErrors: what was asked wrongly gets a clear message and status 2.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"bench", "-models", "nope"}, `unknown model "nope"`},
		{[]string{"bench", "-models", "multiplex/kqueue"}, `unknown model "multiplex/kqueue"`},
		{[]string{"bench", "-models", "nope/*"}, `no model matches "nope/*"`},
		{[]string{"bench", "-format", "xml"}, `unknown format "xml"`},
		{[]string{"bench", "-conns", "10,zero"}, `bad connection count "zero"`},
		{[]string{"bench", "-conns", "0"}, `bad connection count "0"`},
		{[]string{"bench", "-size", "0"}, "message size must be at least 1"},
		{[]string{"bench", "-chunk", "-5"}, "stream chunk must be at least 1"},
		{[]string{"bench", "-duration", "0s"}, "duration must be positive"},
		{[]string{"bench", "-duration", "soon"}, `invalid value "soon"`},
		{[]string{"bench", "-count", "0"}, "-count must be at least 1"},
		{[]string{"bench", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"bench", "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"bench", "-svg", "/nonexistent/dir/chart.svg", "-models", "net"}, "no such file or directory"},
		{[]string{"serve"}, "want one address to listen on"},
		{[]string{"serve", "127.0.0.1:0", "extra"}, "want one address to listen on"},
		{[]string{"serve", "-model", "nope", "127.0.0.1:0"}, `unknown model "nope"`},
		{[]string{"serve", "-welcome=maybe", "127.0.0.1:0"}, `invalid boolean value "maybe"`},
		{[]string{"send"}, "want an address (host:port) and the text to send"},
		{[]string{"send", "127.0.0.1:1"}, "want an address (host:port) and the text to send"},
		{[]string{"send", "-model", "nope", "127.0.0.1:1", "hi"}, `unknown model "nope"`},
		{[]string{"send", "-timeout", "0s", "127.0.0.1:1", "hi"}, "-timeout must be positive"},
		{[]string{"models", "extra"}, "models takes no arguments"},
	} {
		r := runArgs(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.err, tc.want) {
			t.Errorf("iomodel %q: status %d, stderr %q; want status 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestAddressErrors: in every model, a malformed address, a port in use and
// a refused connection are status 2 with the system's reason.
func TestAddressErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	for _, m := range models.All() {
		t.Run(m.Name, func(t *testing.T) {
			if reason := unavailable(m); reason != "" {
				t.Skipf("unavailable here: %s", reason)
			}
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"serve", "-model", m.Name, "nonsense"}, "missing port"},
				{[]string{"serve", "-model", m.Name, "127.0.0.1:99999"}, "invalid port"},
				{[]string{"serve", "-model", m.Name, busy.Addr().String()}, "address already in use"},
				{[]string{"send", "-model", m.Name, "nonsense", "hi"}, "missing port"},
				{[]string{"send", "-model", m.Name, refused, "hi"}, "connection refused"},
			} {
				r := runArgs(t, tc.args...)
				if r.code != 2 || !strings.Contains(r.err, tc.want) {
					t.Errorf("iomodel %q: status %d, stderr %q; want status 2 and %q", tc.args, r.code, r.err, tc.want)
				}
			}
		})
	}
}

// unavailable says why m cannot run here, or "".
func unavailable(m models.Model) string {
	inst, err := m.Start()
	if err != nil {
		return err.Error()
	}
	inst.Close()
	return ""
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"bench", "-h"}, {"serve", "-help"}} {
		r := runArgs(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout+r.err, "usage:") {
			t.Errorf("iomodel %q: status %d, output %q", args, r.code, r.stdout+r.err)
		}
	}
	// Every command answers -h, with status 0.
	for name := range commands {
		if r := runArgs(t, name, "-h"); r.code != 0 || !strings.Contains(r.stdout+r.err, "usage") {
			t.Errorf("iomodel %s -h: status %d, output %q", name, r.code, r.stdout+r.err)
		}
	}
	r := runArgs(t, "models")
	for _, name := range models.Names() {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("iomodel models does not list %s:\n%s", name, r.stdout)
		}
	}
}
