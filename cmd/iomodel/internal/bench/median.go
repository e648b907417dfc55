//go:build linux

package bench

import (
	"slices"
)

// Median folds repeated measurements of one model into one: runs[k] is the
// k-th measurement (one Result per connection count, in the same order), and
// each figure of the answer is the median of that figure over the runs. A
// run that failed or found the model unavailable makes the answer say so: a
// failure is not averaged away.
func Median(runs [][]Result) []Result {
	if len(runs) == 0 {
		return nil
	}
	out := slices.Clone(runs[0])
	for i := range out {
		var col []Result
		for _, run := range runs {
			if i < len(run) {
				col = append(col, run[i])
			}
		}
		if j := slices.IndexFunc(col, func(r Result) bool { return !r.OK() }); j >= 0 {
			out[i] = col[j]
			out[i].Runs = len(col)
			continue
		}
		r := &out[i]
		r.Runs = len(col)
		med := func(f func(Result) float64) float64 {
			vs := make([]float64, len(col))
			for k, c := range col {
				vs[k] = f(c)
			}
			slices.Sort(vs)
			if n := len(vs); n%2 == 0 {
				return (vs[n/2-1] + vs[n/2]) / 2
			}
			return vs[len(vs)/2]
		}
		medp := func(f func(Result) *float64) *float64 {
			for _, c := range col {
				if f(c) == nil {
					return nil
				}
			}
			v := med(func(c Result) float64 { return *f(c) })
			return &v
		}
		r.RTTP50 = med(func(c Result) float64 { return c.RTTP50 })
		r.RTTP99 = med(func(c Result) float64 { return c.RTTP99 })
		r.RoundTrips = int(med(func(c Result) float64 { return float64(c.RoundTrips) }))
		r.StreamMBps = med(func(c Result) float64 { return c.StreamMBps })
		r.MsgsPerSec = med(func(c Result) float64 { return c.MsgsPerSec })
		r.CPUPerMsg = med(func(c Result) float64 { return c.CPUPerMsg })
		r.MsgP50 = med(func(c Result) float64 { return c.MsgP50 })
		r.MsgP99 = med(func(c Result) float64 { return c.MsgP99 })
		r.MsgMax = med(func(c Result) float64 { return c.MsgMax })
		r.MinMsgsPerConn = int64(med(func(c Result) float64 { return float64(c.MinMsgsPerConn) }))
		r.MaxMsgsPerConn = int64(med(func(c Result) float64 { return float64(c.MaxMsgsPerConn) }))
		r.Threads = int(med(func(c Result) float64 { return float64(c.Threads) }) + 0.5)
		r.SyscallsPerMsg = medp(func(c Result) *float64 { return c.SyscallsPerMsg })
		r.WakeupsPerMsg = medp(func(c Result) *float64 { return c.WakeupsPerMsg })
		r.EAGAINsPerMsg = medp(func(c Result) *float64 { return c.EAGAINsPerMsg })
		r.IdleCPU = med(func(c Result) float64 { return c.IdleCPU })
		r.IdleThreads = int(med(func(c Result) float64 { return float64(c.IdleThreads) }) + 0.5)
		r.CtxSwitchesPerMsg = med(func(c Result) float64 { return c.CtxSwitchesPerMsg })
	}
	return out
}
