//go:build linux

package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagOutput is where a command's FlagSet writes: its messages go to err;
// out and synopsis are for printUsage, which writes the usage to out when
// it was asked for (-h, --help).
type flagOutput struct {
	err      io.Writer
	out      io.Writer
	synopsis string
}

func (o flagOutput) Write(p []byte) (int, error) { return o.err.Write(p) }

// printUsage prints fs's usage: to stdout when asked is set (-h answers
// with status 0, its text meant to be read or piped), else to stderr, after
// a mistake. A command with a text in about says what it does and how
// long it takes before its flags.
func printUsage(fs *flag.FlagSet, asked bool) {
	o, ok := fs.Output().(flagOutput)
	if !ok {
		fs.PrintDefaults()
		return
	}
	w := o.err
	if asked {
		w = o.out
	}
	fmt.Fprintln(w, strings.TrimSpace("usage: iomodel "+fs.Name()+" "+o.synopsis))
	if text := about[fs.Name()]; text != nil && asked {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(text(fs)))
	}
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(o)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// about says, per command, what it does before its flags in its usage;
// load's says how long its defaults take, from the flags' defaults.
var about = map[string]func(fs *flag.FlagSet) string{
	"quick": func(*flag.FlagSet) string {
		return `Every model (one per family) in both shapes, its goroutine Conn and its
engine, as servers beside package net's, each in a process of its own, under
the tool's own client (package net) in another process: a 64-byte echo,
then idle connections. Three rounds, medians; about 20 s on 2 CPUs.`
	},
	"bench": func(*flag.FlagSet) string {
		return `The models as clients: each in a process of its own, against an echo peer
(package net) in another, over TCP loopback: round trips, a stream, many
connections. Each model makes a round-trip run, a stream run and a run per
-conns count, each -duration long, -count times over.`
	},
	"serve": func(*flag.FlagSet) string {
		return `Serves ADDR in one model until SIGINT: an echo (or a greeting with -welcome,
the RESP key-value store with -resp) in the goroutine shape or, with -loop,
on the model's engine; with -http, net/http on the model's Listener.`
	},
	"send": func(*flag.FlagSet) string {
		return `Sends TEXT (with a newline unless -n) to ADDR in one model and prints the
answer.`
	},
	"models": func(*flag.FlagSet) string {
		return `Lists the models, whether each has a loop shape (an engine), and how each
one waits.`
	},
	"load": loadAbout,
}
