package multiplex_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iomodel/iomodel/multiplex"
)

// FuzzStream sends data in the chunk sizes the fuzzer picks through a pair
// of Conns on a poll Poller (the backend with the most user-space state)
// and checks the bytes arrive unchanged, in order.
func FuzzStream(f *testing.F) {
	f.Add([]byte("hello, multiplex"), []byte{1, 2, 3})
	f.Add(bytes.Repeat([]byte{0xAA}, 300_000), []byte{255, 0, 17})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		p := newPoller(t, multiplex.Poll)
		defer p.Close()
		a, b := connPair(t, p)
		defer a.Close()
		defer b.Close()
		done := make(chan error, 1)
		go func() {
			rest := data
			for i := 0; len(rest) > 0; i++ {
				n := len(rest)
				if len(sizes) > 0 {
					n = min(n, 1+int(sizes[i%len(sizes)])*97)
				}
				if _, err := a.Send(rest[:n]); err != nil {
					done <- err
					return
				}
				rest = rest[n:]
			}
			done <- a.Close()
		}()
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(data, got); diff != "" && !(len(data) == 0 && len(got) == 0) {
			t.Fatalf("received stream differs (-sent +received):\n%s", diff)
		}
	})
}
