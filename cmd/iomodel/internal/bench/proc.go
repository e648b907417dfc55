//go:build linux

package bench

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// threads reads the number of OS threads of this process from the Threads
// line of /proc/self/status (proc(5)); 0 if it cannot.
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return 0
}

// usage is the process's CPU time and voluntary context switches so far
// (getrusage(2), RUSAGE_SELF: every thread, including the model's poller,
// dispatcher or ring threads).
type usage struct {
	cpu time.Duration
	csw int64
}

func (u usage) sub(v usage) usage { return usage{u.cpu - v.cpu, u.csw - v.csw} }
