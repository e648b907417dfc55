package loop

import (
	"runtime"
	"strconv"
)

// GoroutineID is the calling goroutine's number, as runtime.Stack prints
// it ("goroutine 42 [running]:"). It costs about a microsecond: an Owner
// calls it once, when its goroutine starts, and Detach once, to refuse a
// call from any other goroutine than the owner's.
func GoroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	b = b[len(prefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
	return id
}
