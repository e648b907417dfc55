// Command peers serves the benchmark's two protocols, a plain echo and the
// RESP key-value store, on the event loops of gnet and nbio: the Go
// libraries people pick for the loop shape, which `iomodel load` puts
// beside the models' engines, package net and Redis.
//
//	peers -lib gnet -proto resp -addr 127.0.0.1:7000
//
// It prints "peers: LIB PROTO server listening on ADDR" once it serves,
// and stops on SIGINT or SIGTERM. It lives in a module of its own so that
// the library's go.mod keeps its three dependencies; RESP is the tool's
// own parser and executor (cmd/iomodel/internal/resp, which this module's
// path may import), so every server runs the same code per request and only
// the way it waits and copies differs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/resp"
)

func main() {
	lib := flag.String("lib", "gnet", "the event-loop library: gnet or nbio")
	proto := flag.String("proto", "echo", "what to serve: echo or resp")
	addr := flag.String("addr", "127.0.0.1:7000", "TCP address to listen on (a port of 0 is refused: gnet cannot say which it got)")
	loops := flag.Int("loops", runtime.GOMAXPROCS(0), "event loops")
	flag.Parse()
	if flag.NArg() > 0 || (*proto != "echo" && *proto != "resp") || *loops < 1 {
		fmt.Fprintln(os.Stderr, "peers: want -lib gnet|nbio -proto echo|resp -addr HOST:PORT [-loops N], no arguments")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var store *resp.Store
	if *proto == "resp" {
		store = resp.NewStore()
	}
	ready := func() { fmt.Printf("peers: %s %s server listening on %s\n", *lib, *proto, *addr) }
	var err error
	switch *lib {
	case "gnet":
		err = serveGnet(ctx, *addr, *loops, store, ready)
	case "nbio":
		err = serveNbio(ctx, *addr, *loops, store, ready)
	default:
		fmt.Fprintf(os.Stderr, "peers: unknown -lib %q (gnet or nbio)\n", *lib)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "peers: %s: %v\n", *lib, err)
		os.Exit(1)
	}
}

// sessions lends a resp.Session and a reply buffer to one callback: they
// hold nothing of a client's between requests.
type lent struct {
	s   *resp.Session
	out []byte
}

var sessions sync.Pool

func borrow(store *resp.Store) *lent {
	if l, ok := sessions.Get().(*lent); ok {
		return l
	}
	return &lent{s: resp.NewSession(store)}
}

func giveBack(l *lent) {
	if cap(l.out) > 64<<10 {
		l.out = nil
	}
	sessions.Put(l)
}
