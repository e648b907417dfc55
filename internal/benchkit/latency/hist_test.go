package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistIndexRoundTrips(t *testing.T) {
	for i := range histBuckets {
		lo, w := histLow(i), histWidth(i)
		if got := histIndex(lo); got != i {
			t.Fatalf("histIndex(histLow(%d) = %d) = %d", i, lo, got)
		}
		if got := histIndex(lo + w - 1); got != i && i != histBuckets-1 {
			t.Fatalf("histIndex(%d), the top of bucket %d, = %d", lo+w-1, i, got)
		}
	}
	if got := histIndex(math.MaxUint64); got != histBuckets-1 {
		t.Errorf("histIndex(max) = %d", got)
	}
}

// TestHistQuantile: within a bucket's width (1/32) of the exact order
// statistic, and Max exact.
func TestHistQuantile(t *testing.T) {
	var h Hist
	if h.Quantile(0.5) != 0 || h.Max() != 0 {
		t.Fatal("empty histogram not zero")
	}
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]time.Duration, 100000)
	for i := range vs {
		vs[i] = time.Duration(r.ExpFloat64() * float64(50*time.Microsecond))
		h.Record(vs[i])
	}
	slices.Sort(vs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vs[int(q*float64(len(vs)))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 1.0/histSub {
			t.Errorf("p%v = %v, want %v (off by %.1f%%)", 100*q, got, want, 100*rel)
		}
	}
	if h.Max() != vs[len(vs)-1] || h.Quantile(1) != h.Max() {
		t.Errorf("max %v, p100 %v, want %v", h.Max(), h.Quantile(1), vs[len(vs)-1])
	}
	var m Hist
	m.Merge(&h)
	m.Merge(&h)
	if m.Count() != 2*h.Count() || m.Quantile(0.5) != h.Quantile(0.5) || m.Max() != h.Max() {
		t.Errorf("merged: %d values, p50 %v, max %v", m.Count(), m.Quantile(0.5), m.Max())
	}
}

func TestHistRecordAllocatesNothing(t *testing.T) {
	h := new(Hist)
	if n := testing.AllocsPerRun(1000, func() { h.Record(time.Duration(rand.Int64N(int64(time.Second)))) }); n != 0 {
		t.Errorf("Record: %v allocations", n)
	}
}
