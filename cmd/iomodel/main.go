//go:build linux

// Command iomodel shows the five I/O models of Stevens' Unix Network
// Programming side by side, on the machine it runs on, and speaks TCP in any
// of them.
//
//	iomodel                      every model in both shapes, its Conn and its engine, as servers beside net (about 20 s)
//	iomodel bench [flags]        the models as clients, with every knob: models, sizes, connections, formats, SVG
//	iomodel serve [flags] ADDR   an echo (or greeting, or RESP key-value) server in one model, in either shape
//	iomodel serve -http ADDR     net/http in one model, for any load generator
//	iomodel load [flags]         the models' servers beside Redis, gnet, nbio and net under redis-benchmark, our echo
//	                             client and wrk
//	iomodel send [flags] ADDR TEXT
//	                             a client in one model: sends TEXT, prints the answer
//	iomodel models               the models and how each one waits
//
// # Both shapes
//
// With no command (or quick) every model serves, in both shapes, as a
// server in a process of its own: its goroutine shape (a goroutine per
// connection on the model's Conn) and its loop shape (the model's engine
// calling a handler back), beside package net's server. A client in
// another process runs a 64-byte echo over 100 connections, then holds
// 1000 connections idle; the table and the SVG (-svg FILE) put, per model
// and shape, messages per second, p50 and p99, the server's CPU time per
// message and threads (/proc/PID/stat), its system calls and wake-ups per
// message (its own counts, which serve prints on SIGUSR1) and its memory
// per idle connection. Three rounds, medians; about 20 s on 2 CPUs.
//
//	iomodel -svg shapes.svg
//	iomodel quick -models all -format json > shapes.json
//
// # Measuring the models as clients
//
// bench runs each model in a process of its own (the program started again as a
// worker) against one echo peer, the net package in a third process, over TCP
// loopback: so the CPU time (getrusage) and the OS threads (/proc/self/status)
// are the model's alone, and threads the Go runtime keeps from one model's run
// do not count against the next. A worker measures, with the model's own
// Dial: round trips on one connection (median and 99th percentile), a stream
// on one connection, and many connections at once each in a loop of round
// trips (messages per second, and per message: CPU time, system calls and
// wake-ups from the Conns' Stats and the model's poller, signals or ring).
// With -count N the models are measured in N rounds and each figure is the
// median.
//
//	iomodel bench -models multiplex/*,sigdriven/* -conns 10,100,1000 -svg chart.svg
//	iomodel bench -models all -format csv > results.csv
//	iomodel bench -models all -format json > r.json && iomodel bench -load r.json -format markdown
//
// # Under a real load
//
// load's event shapes (the default) run every server in a process of its
// own, Redis (redis-server, when installed), gnet and nbio (the peers
// module, cmd/iomodel/peers, built once per run) beside the models' two
// shapes and net's: redis-benchmark's SET and GET on the RESP key-value
// store (-clients, -pipeline), the 64-byte echo under our client
// (-echo-conns) and memory per idle connection (-idle); requests/s, p50,
// p99, max, the server's CPU per request, threads, system calls and
// wake-ups per request, and ratios to net in the same round, under the
// machine, date, commit and command. It prints its plan (runs, about how
// long) first and an ETA as it goes; its report is a table of 120 columns
// (-format wide: every column; markdown: a page; json: data with the
// command, CPU, kernel, Go, GOMAXPROCS, commit and date):
//
//	iomodel load                                   multiplex and async, 3 rounds: about 3 minutes (load -h says what it runs)
//	iomodel load -models quick -clients 50,1000 -pipeline 1,16 -echo-conns 100,1000,10000 -idle 10000,15000
//
// Its HTTP shapes serve net/http on each model's Listener and on package net's, and
// drives each with wrk (a load generator this project did not write; the
// benchmark installs nothing and says so when wrk is missing), in rounds
// that run every server once, in an order that rotates from round to round.
// Its shapes: keep-alive "Hello, World!", Connection: close, a 64 KiB
// response, a 4 KiB POST body, HTTPS (crypto/tls over the model's
// Listener), and a plain TCP echo whose client is ours (package net, in a
// child process: Debian packages no TCP load generator). It reports, per
// run and as medians over the rounds, requests/s, p50, p99, p99.9 and max
// latency, the server's CPU per request (getrusage of this process; wrk is
// another), the fewest, median and most requests one connection was answered,
// non-2xx answers and socket errors (wrk's figures from a Lua done() hook
// the tool gives it, exact, not from its rounded text report), and the
// ratios to net's run in the same round, under the command line that made
// them:
//
//	iomodel load -shapes hello,close,64k,body,https,echo -conns 100,1000,5000
//	iomodel load -models all -conns 100 -shapes hello,https -rounds 5
//
// # Serving
//
// serve handles many clients at once in the model's own way: the
// non-blocking model from one loop that polls every connection, the others
// with a goroutine per client that waits as the model waits (a thread each in
// read(2), one poller thread, one signal dispatcher, one ring). It echoes
// bytes, or with -welcome answers each message with a greeting (each line,
// and what arrives without a newline, as the seed's client sends it), and
// stops on SIGINT, closing every connection. With -http ADDR it serves
// net/http instead (/ says Hello, World!, /64k answers 64 KiB, /body reads a
// request body), so any load generator can be pointed at any model. send sends its text (with a newline
// unless -n) and prints the answer; both work with nc and each other:
//
//	iomodel serve -model sigdriven :7000 &
//	echo hello | nc -N localhost 7000
//	iomodel send -model async localhost:7000 hello
//
// Every command answers -h (or --help, or iomodel help CMD) with its usage
// on stdout and status 0. Errors in what was asked (an unknown model or
// flag, a bad address, a port in use) print a message and exit with status
// 2; a failure after the work started exits with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr})
	stop()
	os.Exit(code)
}

// stdio is where a command reads and writes, so tests can run it in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// usageError is an error in what was asked: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errHelp means -h was asked and the usage has been printed: status 0.
var errHelp = flag.ErrHelp

// commands maps a subcommand to what runs it.
var commands = map[string]func(ctx context.Context, args []string, std stdio) error{
	"bench":  benchCmd,
	"quick":  quickCmd,
	"serve":  serveCmd,
	"load":   loadCmd,
	"send":   sendCmd,
	"models": modelsCmd,
	"help":   helpCmd,
	// For the bench itself: the echo peer and the per-model worker, each in
	// a process of its own.
	"peer":   peerCmd,
	"worker": workerCmd,
	// For load: the echo shapes' client and the idle shape's, each in a
	// process of its own.
	"load-echo": loadEchoCmd,
	"load-idle": loadIdleCmd,
}

func run(ctx context.Context, args []string, std stdio) int {
	name := "quick"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") || len(args) > 0 && isHelp(args[0]) {
		name, args = args[0], args[1:]
	}
	if isHelp(name) {
		name = "help"
	}
	if name == "help" && len(args) > 0 && !isHelp(args[0]) { // iomodel help CMD is iomodel CMD -h
		name, args = args[0], []string{"-h"}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(std.err, "iomodel: unknown command %q\n", name)
		usage(std.err)
		return 2
	}
	err := cmd(ctx, args, std)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(std.err, "iomodel %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(std.err, "iomodel %s: %v\n", name, err)
		return 1
	}
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  iomodel [flags]                every model in both shapes (Conn and engine) as servers beside net (about 20 s; iomodel quick -h)
  iomodel bench [flags]          the models as clients, with every knob (iomodel bench -h)
  iomodel serve [flags] ADDR     echo or RESP server in one model, in either shape (iomodel serve -h)
  iomodel serve -http ADDR       net/http server in one model, for your own load generator
  iomodel load [flags]           the servers beside Redis, gnet, nbio and net under redis-benchmark, echo, wrk
                                 (about 3 minutes; iomodel load -h)
  iomodel send [flags] ADDR TEXT client in one model: sends TEXT, prints the answer
  iomodel models                 the models, and how each one waits

iomodel help CMD (or iomodel CMD -h) prints a command's usage.
serve and send take -model M (default multiplex); see iomodel models.
Status 2 means what was asked is wrong (unknown model or flag, bad address,
port in use); 1, that something failed after the work started.
`)
}

func helpCmd(_ context.Context, _ []string, std stdio) error {
	usage(std.out)
	return nil
}

func modelsCmd(_ context.Context, args []string, std stdio) error {
	fs := newFlags("models", "", std)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("models takes no arguments")
	}
	tw := tabwriter.NewWriter(std.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tLOOP SHAPE\tWAITS BY")
	for _, m := range models.All() {
		loop := "engine"
		if !m.HasEngine() {
			loop = "—"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, loop, m.Waits)
	}
	tw.Flush()
	fmt.Fprintln(std.out, "\nA family name stands for its first variant (multiplex = multiplex/epoll, sigdriven = sigdriven/precise);\nbench also takes all, quick and patterns such as multiplex/*.")
	return nil
}

// newFlags makes a FlagSet that reports its errors as usage errors and
// prints its usage to std.err.
func newFlags(name, synopsis string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(flagOutput{std.err, std.out, synopsis})
	fs.Usage = func() {} // parse prints it: on stdout when asked, on stderr after a mistake
	return fs
}

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		printUsage(fs, errors.Is(err, flag.ErrHelp))
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	return nil
}

// lookupModel finds the model -model names, as a usage error if none.
func lookupModel(name string) (models.Model, error) {
	m, err := models.Lookup(name)
	if err != nil {
		return m, usageError{err}
	}
	return m, nil
}

// selectWithNet resolves -models (models.Select) and adds net, the
// baseline, when it is not among them.
func selectWithNet(list string) ([]models.Model, error) {
	ms, err := models.Select(list)
	if err != nil {
		return nil, usageError{err}
	}
	if !slices.ContainsFunc(ms, func(m models.Model) bool { return m.Family == "net" }) {
		netm, _ := models.Lookup("net")
		ms = append(ms, netm)
	}
	return ms, nil
}

// startModel looks the model up by name and starts it (start).
func startModel(name string) (models.Model, *models.Instance, error) {
	m, err := lookupModel(name)
	if err != nil {
		return m, nil, err
	}
	inst, err := start(m)
	return m, inst, err
}

// start starts m, saying plainly when the kernel cannot run it.
func start(m models.Model) (*models.Instance, error) {
	inst, err := m.Start()
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, usagef("model %s is unavailable here: %v", m.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("starting model %s: %w", m.Name, err)
	}
	return inst, nil
}

func modelList() string { return strings.Join(models.Names(), ", ") }
