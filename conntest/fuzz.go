package conntest

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// CheckStream sends data through p in pieces whose sizes come from seed,
// both ways at once (one way on a OneWay pair), and fails t unless each side
// receives exactly what the other sent. It is the body of the models' fuzz
// targets: the fuzzer picks the bytes and the cuts.
func CheckStream(t *testing.T, p Pipe, tr Traits, data []byte, seed uint64) {
	t.Helper()
	if len(data) == 0 {
		return
	}
	maxPiece := 1 + int(seed%4096)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		r := rand.New(rand.NewPCG(seed, 1))
		errs[0] = transferData(r, p.A, p.B, tr, data, maxPiece)
	})
	if !tr.OneWay {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, 2))
			errs[1] = transferData(r, p.B, p.A, tr, data, maxPiece)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
