//go:build linux

package load

import (
	"fmt"
	"strings"
)

// Shape is one kind of load: what the client asks and how.
type Shape struct {
	Name string
	// Say is the shape in a few words, for the report.
	Say string
	// Path, Method and BodySize make the HTTP request; Close sends
	// Connection: close (a new connection per request); TLS serves it
	// over crypto/tls.
	Path     string
	Method   string
	BodySize int
	Close    bool
	TLS      bool
	// Echo is not HTTP: 64-byte round trips on a plain TCP echo, driven by
	// our own client (see EchoClient).
	Echo bool
}

// Shapes are the shapes of the benchmark, in the order it runs them.
var Shapes = []Shape{
	{Name: "hello", Say: `keep-alive GET, "Hello, World!"`, Path: PathHello},
	{Name: "close", Say: "GET with Connection: close, a connection per request", Path: PathHello, Close: true},
	{Name: "64k", Say: "keep-alive GET of a 64 KiB response", Path: PathLarge},
	{Name: "body", Say: "keep-alive POST of a 4 KiB body", Path: PathBody, Method: "POST", BodySize: 4 << 10},
	{Name: "https", Say: `keep-alive GET over TLS (crypto/tls on the model's Listener), "Hello, World!"`, Path: PathHello, TLS: true},
	{Name: "echo", Say: "64-byte round trips on a plain TCP echo; the client is ours (package net, another process)", Echo: true},
}

// ShapeNames lists the shapes' names.
func ShapeNames() []string {
	var ns []string
	for _, s := range Shapes {
		ns = append(ns, s.Name)
	}
	return ns
}

// SelectShapes resolves a comma-separated list of shape names, or "all".
func SelectShapes(list string) ([]Shape, error) {
	want := map[string]bool{}
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		switch item {
		case "":
			continue
		case "all":
			for _, s := range Shapes {
				want[s.Name] = true
			}
			continue
		}
		found := false
		for _, s := range Shapes {
			found = found || s.Name == item
		}
		if !found {
			return nil, fmt.Errorf("unknown shape %q (known: %s, all)", item, strings.Join(ShapeNames(), ", "))
		}
		want[item] = true
	}
	var ss []Shape
	for _, s := range Shapes {
		if want[s.Name] {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("no shape named (known: %s, all)", strings.Join(ShapeNames(), ", "))
	}
	return ss, nil
}
