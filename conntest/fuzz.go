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

// FuzzStream is a model's whole fuzz target: it seeds f and runs
// CheckStream on a fresh pair from mp for every input.
//
//	func FuzzStream(f *testing.F) { conntest.FuzzStream(f, makePipe) }
func FuzzStream(f *testing.F, mp MakePipe) {
	f.Add([]byte("hello, world"), uint64(3))
	f.Add(make([]byte, 100000), uint64(4095))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		p, err := mp()
		if err != nil {
			t.Fatal(err)
		}
		defer p.A.Close()
		defer p.B.Close()
		CheckStream(t, p, Traits{}, data, seed)
	})
}
