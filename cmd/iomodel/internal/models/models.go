//go:build linux

package models

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strings"

	"github.com/iomodel/iomodel"
)

// Conn is what the tool drives: the model's connection, with Send and Recv
// beside net.Conn. Every model's *Conn fits; the net.Conn baseline is adapted.
type Conn interface {
	net.Conn
	Send(p []byte) (int, error)
	Recv(p []byte) (int, error)
}

// StatsOf returns c's counters and true, or false when c keeps none (the
// net.Conn baseline).
func StatsOf(c any) (iomodel.Stats, bool) {
	s, ok := c.(interface{ Stats() iomodel.Stats })
	if !ok {
		return iomodel.Stats{}, false
	}
	return s.Stats(), true
}

// TryConn is a Conn that can also make one attempt without waiting: the
// non-blocking model's native calls, which return an error wrapping EAGAIN
// (after the bytes that were taken) when the kernel is not ready.
type TryConn interface {
	Conn
	TrySend(p []byte) (int, error)
	TryRecv(p []byte) (int, error)
}

// Instance is a started model: the Conns it makes share its machinery.
// Close it after the last of them has been closed.
type Instance struct {
	// New takes fd (a connected socket) for the model.
	New func(fd int) (Conn, error)
	// Dial connects the model's way.
	Dial func(network, address string) (Conn, error)
	// Listen listens the model's way; Accept returns Conns.
	Listen func(network, address string) (net.Listener, error)
	// TryAccept, when not nil, makes one attempt to accept on a Listener of
	// this Instance: the model serves by polling every connection from one
	// loop rather than by a goroutine waiting on each.
	TryAccept func(ln net.Listener) (TryConn, error)
	// Machinery counts the system calls made on the Conns' behalf by what
	// they share (poller waits and interest-list changes, ring enters,
	// signals read) since Start; nil when the model does not say.
	Machinery func() uint64
	// Handed counts, since Start, the operations the Conns' Stats count
	// among their Syscalls that were in fact handed to shared machinery and
	// cost no system call of their own (async: requests submitted to the
	// ring, whose enters Machinery counts); nil when there are none.
	Handed func() uint64
	// Close releases the machinery.
	Close func() error
}

// Model is one entry of the table.
type Model struct {
	// Name is what -model takes: the family, and the variant after a slash.
	Name string
	// Family is the package: blocking, nonblock, multiplex, sigdriven,
	// async, or net for the baseline.
	Family string
	// Quick marks the models of the no-argument comparison: one per family.
	Quick bool
	// Waits says, in plain words, how a call waits in this model.
	Waits string
	// Serves says how `iomodel serve` handles many clients with it.
	Serves string
	// Start readies the model. An error wrapping errors.ErrUnsupported
	// means the kernel cannot run it here.
	Start func() (*Instance, error)
	// Engine makes the model's loop shape (its package's NewEngine with
	// the variant's options); nil when the model has none here. Use
	// NewEngine, which says why.
	Engine func(h iomodel.Handler, cfg iomodel.EngineConfig) (Engine, error)
}

// All returns every model in the table, in table order.
func All() []Model { return append([]Model(nil), table...) }

// Quick returns the models of the quick comparison.
func Quick() []Model {
	var ms []Model
	for _, m := range table {
		if m.Quick {
			ms = append(ms, m)
		}
	}
	return ms
}

// aliases name the default variant of a family.
var aliases = map[string]string{
	"multiplex": "multiplex/epoll",
	"sigdriven": "sigdriven/precise",
	"net.Conn":  "net",
}

// ErrUnknown is wrapped by Lookup's error for a name not in the table.
var ErrUnknown = errors.New("unknown model")

// Names lists the names Lookup accepts (not the aliases).
func Names() []string {
	names := make([]string, len(table))
	for i, m := range table {
		names[i] = m.Name
	}
	return names
}

// Lookup finds a model by name or alias.
func Lookup(name string) (Model, error) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, m := range table {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Select resolves a comma-separated list of names, aliases and patterns:
// "all" (every model), "quick" (one per family), a family ("multiplex" is
// its default variant, "multiplex/*" every variant), or a name. Duplicates
// are dropped; the order is the table's.
func Select(list string) ([]Model, error) {
	want := map[string]bool{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			continue
		case item == "all":
			for _, m := range table {
				want[m.Name] = true
			}
		case item == "quick":
			for _, m := range Quick() {
				want[m.Name] = true
			}
		case strings.ContainsAny(item, "*?["):
			n := 0
			for _, m := range table {
				if ok, err := path.Match(item, m.Name); err != nil {
					return nil, fmt.Errorf("bad model pattern %q: %v", item, err)
				} else if ok || (item == m.Family+"/*" && m.Name == m.Family) {
					want[m.Name] = true
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("%w: no model matches %q (known: %s)", ErrUnknown, item, strings.Join(Names(), ", "))
			}
		default:
			m, err := Lookup(item)
			if err != nil {
				return nil, err
			}
			want[m.Name] = true
		}
	}
	var ms []Model
	for _, m := range table {
		if want[m.Name] {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no model named")
	}
	return ms, nil
}

// conn adapts a model's (*Conn, error) to (Conn, error) without turning a nil
// pointer into a non-nil interface.
func conn[C Conn](c C, err error) (Conn, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

// listener does the same for a model's Listener.
func listener[L net.Listener](l L, err error) (net.Listener, error) {
	if err != nil {
		return nil, err
	}
	return l, nil
}

func noMachinery() uint64 { return 0 }

func closeNothing() error { return nil }
