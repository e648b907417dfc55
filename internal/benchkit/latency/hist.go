// Package latency records latencies without allocating, for benchmarks and
// the iomodel tool alike: a fixed-bucket histogram, one per connection.
package latency

import (
	"math/bits"
	"time"
)

// Hist is a fixed-bucket latency histogram that records without allocating:
// one per connection, preallocated, so that timing every message leaves the
// hot path as it was. Buckets are log-linear, as HdrHistogram's: the first
// 2·histSub nanoseconds one each, then histSub buckets per power of two, so
// a percentile is within 1/histSub (about 3%) of the true value. The exact
// largest value is kept beside them. The zero value is ready to use.
type Hist struct {
	counts [histBuckets]uint32
	n      uint64
	max    time.Duration
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	// histBuckets covers up to 2^(histSubBits+histTop) ns, about 69 s;
	// anything longer lands in the last bucket (max stays exact).
	histTop     = 31
	histBuckets = (histTop + 1) * histSub
)

func histIndex(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // v>>shift is in [histSub, 2·histSub)
	i := (shift+1)*histSub + int(v>>shift) - histSub
	return min(i, histBuckets-1)
}

// histLow is the smallest value bucket i holds, and histWidth how many it holds.
func histLow(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	return uint64(histSub+i%histSub) << shift
}

func histWidth(i int) uint64 {
	if i < 2*histSub {
		return 1
	}
	return 1 << (i/histSub - 1)
}

// Record adds one latency.
func (h *Hist) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	h.max = max(h.max, d)
}

// Merge adds every value o holds.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count is how many values were recorded.
func (h *Hist) Count() uint64 { return h.n }

// Max is the largest value recorded, exactly.
func (h *Hist) Max() time.Duration { return h.max }

// Quantile is the value below which a fraction q (0 to 1) of the values
// lie: the middle of the bucket that holds it, never above Max (and Max
// itself for the last value). 0 when
// nothing was recorded.
func (h *Hist) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			v := time.Duration(histLow(i) + histWidth(i)/2)
			return min(v, h.max)
		}
	}
	return h.max
}
