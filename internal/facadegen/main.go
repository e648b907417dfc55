// Command facadegen writes the façade every model exposes: the methods of
// Conn and Listener that behave the same in every model (net.Conn's, the
// half-closes, deadlines, addresses, counters; net.Listener's), each a
// one-line forward to the model's *iofd.FD, where the behaviour is written
// once. The methods are generated, not embedded, so that go doc shows them
// under each model's own types.
//
// Run it from the module's root after changing the template or the list of
// models:
//
//	go run ./internal/facadegen [package ...]
//
// TestGenerated fails when a model's facade_gen.go is not what it writes.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"text/template"
)

// Model is one model package, and where its Conn and Listener keep their
// *iofd.FD.
type Model struct {
	Pkg      string // the package directory and name
	ConnFD   string // the FD of a Conn c, as an expression
	ListenFD string // the FD of a Listener l
	// Options: the model has an Option type, and Dial, Listen, Dialer and
	// ListenConfig take its options. It then provides
	//
	//	func makeOptions([]Option) (options, error)
	//	func openConn(sysfd int, remote net.Addr, o options) (*Conn, *iofd.FD, error)
	//	func dialOpener(options) iofd.Opener[*Conn]
	//	func listenOpener(options) iofd.Opener[*Listener]
	//
	// and without options dialOpener() and listenOpener().
	Options bool
}

// PacketFD is the FD of a PacketConn p, which holds its socket as a *Conn
// in p.c.
func (m Model) PacketFD() string { return "p." + m.ConnFD }

// Models are the five models, in Stevens' order: the one place that lists
// them for the façade.
var Models = []Model{
	{Pkg: "blocking", ConnFD: "c.fd", ListenFD: "l.fd"},
	{Pkg: "nonblock", ConnFD: "c.fd", ListenFD: "l.fd", Options: true},
	{Pkg: "multiplex", ConnFD: "c.pd.fd", ListenFD: "l.pd.fd", Options: true},
	{Pkg: "sigdriven", ConnFD: "c.s.fd", ListenFD: "l.s.fd", Options: true},
	{Pkg: "async", ConnFD: "c.fd", ListenFD: "l.fd", Options: true},
}

func main() {
	only := map[string]bool{}
	for _, a := range os.Args[1:] {
		only[a] = true
	}
	for _, m := range Models {
		if len(only) > 0 && !only[m.Pkg] {
			continue
		}
		for _, f := range files {
			src, err := Generate(f.tmpl, m)
			if err != nil {
				fmt.Fprintln(os.Stderr, "facadegen:", err)
				os.Exit(1)
			}
			if err := os.WriteFile(filepath.Join(m.Pkg, f.name), src, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "facadegen:", err)
				os.Exit(1)
			}
		}
	}
}

// files are what the generator writes into each model's directory.
var files = []struct {
	name string
	tmpl *template.Template
}{
	{"facade_gen.go", template.Must(template.New("facade").Parse(facade + netParity + streamExtras + packet))},
	{"facade_gen_test.go", template.Must(template.New("network").Parse(networkTest + packetTest))},
}

// Generate is the file tmpl makes for m, gofmt-ed.
func Generate(tmpl *template.Template, m Model) ([]byte, error) {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, m); err != nil {
		return nil, err
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", m.Pkg, err, b.Bytes())
	}
	return src, nil
}
