//go:build !linux

// The tool drives the five models, which run on Linux only: elsewhere it
// says so and exits.
package main

import (
	"fmt"
	"os"

	"github.com/iomodel/iomodel/internal/platform"
)

func main() {
	fmt.Fprintln(os.Stderr, "iomodel:", platform.Unsupported("iomodel", "main"))
	os.Exit(1)
}
