//go:build linux

package models

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func names(ms []Model) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	return s
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string
	}{
		{"blocking", []string{"blocking"}},
		{"multiplex", []string{"multiplex/epoll"}},
		{"sigdriven", []string{"sigdriven/precise"}},
		{"multiplex/*", []string{"multiplex/epoll", "multiplex/poll", "multiplex/select"}},
		{"net, blocking,blocking", []string{"blocking", "net"}},
		{"sigdriven/*", []string{"sigdriven/precise", "sigdriven/broadcast"}},
		{"all", Names()},
	} {
		ms, err := Select(tc.list)
		if err != nil {
			t.Errorf("Select(%q): %v", tc.list, err)
			continue
		}
		if diff := cmp.Diff(tc.want, names(ms)); diff != "" {
			t.Errorf("Select(%q) (-want +got):\n%s", tc.list, diff)
		}
	}
	for _, bad := range []string{"nope", "multiplex/kqueue", "nope/*", "", " , "} {
		if _, err := Select(bad); err == nil {
			t.Errorf("Select(%q) succeeded", bad)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(nope) = %v, want ErrUnknown", err)
	}
}

// TestQuickIsOnePerFamily: the quick comparison shows each family once.
func TestQuickIsOnePerFamily(t *testing.T) {
	var fams []string
	for _, m := range Quick() {
		if slices.Contains(fams, m.Family) {
			t.Errorf("family %s twice in Quick", m.Family)
		}
		fams = append(fams, m.Family)
	}
	for _, m := range All() {
		if !slices.Contains(fams, m.Family) {
			t.Errorf("family %s missing from Quick", m.Family)
		}
		if m.Waits == "" || m.Serves == "" || m.Start == nil {
			t.Errorf("%s: incomplete entry", m.Name)
		}
	}
}

// TestNew: every model takes a connected descriptor; on error the caller
// still owns it.
func TestNew(t *testing.T) {
	for _, m := range All() {
		t.Run(m.Name, func(t *testing.T) {
			inst, err := m.Start()
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skipf("unavailable here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			a, b := socketpair(t)
			ca, err := inst.New(a)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := inst.New(b)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ca.Send([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if n, err := cb.Recv(buf); err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("Recv = %q, %v", buf[:n], err)
			}
			_, counted := StatsOf(ca)
			if counted != (m.Family != "net") {
				t.Errorf("StatsOf counted = %v", counted)
			}
			ca.Close()
			cb.Close()
			if _, err := inst.New(-1); err == nil {
				t.Error("New(-1) succeeded")
			}
		})
	}
}
