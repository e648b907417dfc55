//go:build linux

package load

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// Paths the Handler serves, one per shape of the benchmark.
const (
	PathHello = "/"     // "Hello, World!"
	PathLarge = "/64k"  // a 64 KiB response
	PathBody  = "/body" // reads the request body, then "Hello, World!"
)

// LargeSize is the size of PathLarge's response.
const LargeSize = 64 << 10

var (
	hello = []byte("Hello, World!")
	large = bytes.Repeat([]byte("x"), LargeSize)
)

// Handler answers the load benchmark's requests, the same on every model:
// its answers are made once, so that what a request costs is the server's
// (the model's and net/http's) and not the handler's.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PathHello, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathHello {
			http.NotFound(w, r)
			return
		}
		write(w, hello)
	})
	mux.HandleFunc(PathLarge, func(w http.ResponseWriter, r *http.Request) { write(w, large) })
	mux.HandleFunc(PathBody, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		write(w, hello)
	})
	return mux
}

// write sends b with its length, so that the 64 KiB answer goes out whole
// rather than chunked.
func write(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h["Content-Type"] = textPlain
	if len(b) == len(large) {
		h["Content-Length"] = largeLen
	} else {
		h["Content-Length"] = helloLen
	}
	w.Write(b)
}

var (
	textPlain = []string{"text/plain; charset=utf-8"}
	helloLen  = []string{strconv.Itoa(len(hello))}
	largeLen  = []string{strconv.Itoa(len(large))}
)
