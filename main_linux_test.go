package iomodel_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/iomodel/iomodel/async"
)

func TestMain(m *testing.M) {
	if model := os.Getenv(idleEnv); model != "" {
		os.Exit(idleChild(model)) // BenchmarkIdleConn's child
	}
	// Examples cannot skip. Where io_uring is absent or forbidden, run the
	// tests only (unless -run says otherwise) and say why.
	if r, err := async.NewRing(0); err != nil {
		flag.Parse()
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			flag.Set("test.run", "^(Test|Fuzz)")
		}
		fmt.Fprintf(os.Stderr, "iomodel: examples not run: %v\n", err)
	} else {
		r.Close()
	}
	goleak.VerifyTestMain(m)
}
