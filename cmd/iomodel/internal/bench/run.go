//go:build linux

package bench

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/models"
	"github.com/iomodel/iomodel/internal/benchkit/latency"
)

// Config says what to measure.
type Config struct {
	// Addr is the echo peer's TCP host:port.
	Addr string
	// Size is the bytes of one message in the round-trip and concurrent
	// phases.
	Size int
	// Chunk is the bytes of one Send in the stream phase.
	Chunk int
	// Conns are the connection counts of the concurrent phase, one run each.
	Conns []int
	// Duration is how long each of the three phases runs.
	Duration time.Duration
}

// Validate reports a Config that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Size < 1:
		return fmt.Errorf("message size must be at least 1 byte, not %d", c.Size)
	case c.Chunk < 1:
		return fmt.Errorf("stream chunk must be at least 1 byte, not %d", c.Chunk)
	case len(c.Conns) == 0:
		return errors.New("no connection count")
	case slices.Min(c.Conns) < 1:
		return fmt.Errorf("connection count must be at least 1, not %d", slices.Min(c.Conns))
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive, not %v", c.Duration)
	}
	return nil
}

// Result is what one model measured. Per-message figures are over the
// concurrent phase, where one message is one request and its echo.
type Result struct {
	Model  string `json:"model"`
	Family string `json:"family"`
	// Unavailable says why the model cannot run on this machine.
	Unavailable string `json:"unavailable,omitempty"`
	// Error says why a measurement failed.
	Error string `json:"error,omitempty"`

	// RunSeconds is the length of each run.
	RunSeconds float64 `json:"run_s"`
	// Runs is the number of measurements whose median this is (1 unless
	// bench -count says more).
	Runs int `json:"runs"`

	Size       int     `json:"message_bytes"`
	RTTP50     float64 `json:"rtt_p50_us"`
	RTTP99     float64 `json:"rtt_p99_us"`
	RoundTrips int     `json:"round_trips"`

	Chunk      int     `json:"stream_chunk_bytes"`
	StreamMBps float64 `json:"stream_mb_s"`

	// IdleConns connections each waiting in Recv, with nothing coming,
	// cost IdleCPU percent of one CPU and IdleThreads OS threads.
	IdleConns   int     `json:"idle_conns"`
	IdleCPU     float64 `json:"idle_cpu_pct"`
	IdleThreads int     `json:"idle_threads"`

	Conns      int     `json:"conns"`
	MsgsPerSec float64 `json:"msgs_s"`
	CPUPerMsg  float64 `json:"cpu_us_per_msg"`
	// MsgP50, MsgP99 and MsgMax are the round-trip latency of one message
	// across every connection of the run, in µs.
	MsgP50 float64 `json:"msg_p50_us"`
	MsgP99 float64 `json:"msg_p99_us"`
	MsgMax float64 `json:"msg_max_us"`
	// MinMsgsPerConn and MaxMsgsPerConn are the fewest and the most round
	// trips one connection completed: how fairly the model served them.
	MinMsgsPerConn int64 `json:"min_msgs_per_conn"`
	MaxMsgsPerConn int64 `json:"max_msgs_per_conn"`
	Threads        int   `json:"threads"`
	// SyscallsPerMsg counts the Conns' data system calls plus those of the
	// model's machinery (poller waits and interest changes, signals read; for
	// async, whose Conns make none, the ring's io_uring_enter calls and
	// eventfd wake-ups); nil for net.Conn, which keeps no counts.
	SyscallsPerMsg *float64 `json:"syscalls_per_msg"`
	// WakeupsPerMsg counts the times a call went to sleep to wait (Stats
	// Waits); nil for net.Conn.
	WakeupsPerMsg *float64 `json:"wakeups_per_msg"`
	// EAGAINsPerMsg counts the data system calls that returned EAGAIN
	// (Stats WouldBlock): asking when there was nothing; nil for net.Conn.
	EAGAINsPerMsg *float64 `json:"eagains_per_msg"`
	// CtxSwitchesPerMsg counts voluntary context switches (getrusage(2)):
	// how often a thread of the process slept, for every model alike.
	CtxSwitchesPerMsg float64 `json:"ctx_switches_per_msg"`

	// Where it was measured, so that a saved result keeps its context.
	Machine *Machine `json:"machine,omitempty"`
}

// Machine says where and from what source a result was measured, and
// with which command.
type Machine struct {
	Command    string `json:"command"` // as typed, quoted for a shell
	Kernel     string `json:"kernel"`
	CPUs       int    `json:"cpus"`
	CPU        string `json:"cpu"`
	Go         string `json:"go"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Commit     string `json:"commit"`
	Date       string `json:"date"`
}

// OK tells whether the result has numbers.
func (r Result) OK() bool { return r.Unavailable == "" && r.Error == "" }

// Run measures m: round trip and stream once, then the concurrent phase for
// each of cfg.Conns, which makes one Result each (sharing the first two). phase,
// if not nil, is told the name of each phase as it starts. A model whose Start
// fails with errors.ErrUnsupported is reported Unavailable; any other failure
// is reported in Error.
func Run(m models.Model, cfg Config, phase func(string)) []Result {
	if phase == nil {
		phase = func(string) {}
	}
	proto := Result{Model: m.Name, Family: m.Family, Size: cfg.Size, Chunk: cfg.Chunk, RunSeconds: cfg.Duration.Seconds(), Runs: 1}
	fail := func(err error) []Result {
		var rs []Result
		for _, n := range cfg.Conns {
			r := proto
			r.Conns = n
			if errors.Is(err, errors.ErrUnsupported) {
				r.Unavailable = err.Error()
			} else {
				r.Error = err.Error()
			}
			rs = append(rs, r)
		}
		return rs
	}
	if err := cfg.Validate(); err != nil {
		return fail(err)
	}
	phase("start")
	inst, err := m.Start()
	if err != nil {
		return fail(err)
	}
	defer inst.Close()
	phase("round trip")
	if err := roundTrip(inst, cfg, &proto); err != nil {
		return fail(fmt.Errorf("round trip: %w", err))
	}
	phase("stream")
	if err := stream(inst, cfg, &proto); err != nil {
		return fail(fmt.Errorf("stream: %w", err))
	}
	phase("idle")
	if err := idle(inst, slices.Max(cfg.Conns), cfg, &proto); err != nil {
		return fail(fmt.Errorf("idle: %w", err))
	}
	var rs []Result
	for _, n := range cfg.Conns {
		phase(fmt.Sprintf("%d conns", n))
		r := proto
		r.Conns = n
		if err := concurrent(inst, n, cfg, &r); err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				r.Unavailable = err.Error()
			} else {
				r.Error = fmt.Sprintf("%d conns: %v", n, err)
			}
		}
		rs = append(rs, r)
	}
	return rs
}

// exchange sends msg and reads its echo into buf.
func exchange(c models.Conn, msg, buf []byte) error {
	if _, err := c.Send(msg); err != nil {
		return err
	}
	for got := 0; got < len(msg); {
		n, err := c.Recv(buf[got:len(msg)])
		if err != nil {
			return err
		}
		got += n
	}
	return nil
}

func roundTrip(inst *models.Instance, cfg Config, r *Result) error {
	c, err := inst.Dial("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, buf := make([]byte, cfg.Size), make([]byte, cfg.Size)
	for range 20 { // warm up: connection, caches, the model's threads
		if err := exchange(c, msg, buf); err != nil {
			return err
		}
	}
	samples := make([]time.Duration, 0, 1<<16)
	end := time.Now().Add(cfg.Duration)
	for t0 := time.Now(); t0.Before(end); {
		if err := exchange(c, msg, buf); err != nil {
			return err
		}
		t1 := time.Now()
		samples = append(samples, t1.Sub(t0))
		t0 = t1
	}
	slices.Sort(samples)
	r.RoundTrips = len(samples)
	r.RTTP50 = micros(percentile(samples, 0.50))
	r.RTTP99 = micros(percentile(samples, 0.99))
	return nil
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// stream sends chunks for cfg.Duration while a second goroutine reads the
// echo, and measures the bytes echoed back per second.
func stream(inst *models.Instance, cfg Config, r *Result) error {
	c, err := inst.Dial("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	var (
		total   atomic.Int64 // bytes the sender will have sent, once done
		done    atomic.Bool
		sendErr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		msg := make([]byte, cfg.Chunk)
		var sent int64
		for end := start.Add(cfg.Duration); time.Now().Before(end); sent += int64(cfg.Chunk) {
			if _, err := c.Send(msg); err != nil {
				sendErr = err
				break
			}
		}
		// The last byte is sent after done, so a reader that has seen
		// everything before it and waits in Recv is woken by it.
		total.Store(sent + 1)
		done.Store(true)
		if sendErr == nil {
			_, sendErr = c.Send(msg[:1])
		}
	}()
	buf := make([]byte, max(cfg.Chunk, 64<<10))
	var got int64
	var recvErr error
	for !done.Load() || got < total.Load() {
		n, err := c.Recv(buf)
		if err != nil {
			recvErr = err
			c.Close() // unblocks the sender
			break
		}
		got += int64(n)
	}
	elapsed := time.Since(start)
	wg.Wait()
	if err := errors.Join(recvErr, sendErr); err != nil {
		return err
	}
	r.StreamMBps = float64(got) / 1e6 / elapsed.Seconds()
	return nil
}

// idle opens n connections, has a goroutine wait in Recv on each while
// nothing comes, and measures what waiting costs: the CPU time the process
// spends meanwhile, and its threads. Then one byte sent on each comes back
// and ends its wait.
func idle(inst *models.Instance, n int, cfg Config, r *Result) error {
	conns := make([]models.Conn, 0, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := inst.Dial("tcp", cfg.Addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [1]byte
			_, errs[i] = c.Recv(b[:])
		}()
	}
	// Let the goroutines reach their wait, and the runtime start the
	// threads that waiting takes (the blocking model's): what a model
	// spends getting there is not idling. There is no event to tell it, so
	// wait until the thread count has held still for a while.
	peak := threads()
	for settle, still := time.Now().Add(time.Second), 0; still < 3 && time.Now().Before(settle); {
		time.Sleep(20 * time.Millisecond)
		if n := threads(); n != peak {
			peak, still = n, 0
		} else {
			still++
		}
	}
	// The process is left alone meanwhile: sampling it would cost what is
	// measured.
	u0, t0 := getUsage(), time.Now()
	time.Sleep(cfg.Duration / 3)
	used, wall := getUsage().sub(u0), time.Since(t0)
	peak = max(peak, threads())
	r.IdleConns, r.IdleThreads = n, peak
	r.IdleCPU = 100 * float64(used.cpu) / float64(wall)
	// Wake every waiter with its echo rather than by Close, so that the
	// waits end the ordinary way.
	one := []byte{0}
	for _, c := range conns {
		if _, err := c.Send(one); err != nil {
			return err
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// concurrent runs cfg.Conns connections at once, each a closed loop of round
// trips, and measures messages per second and what they cost.
func concurrent(inst *models.Instance, n int, cfg Config, r *Result) error {
	conns := make([]models.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := inst.Dial("tcp", cfg.Addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	var (
		ready, wg sync.WaitGroup
		stop      atomic.Bool
		begin     = make(chan struct{})
		counts    = make([]int64, len(conns))
		hists     = make([]latency.Hist, len(conns))
		errs      = make([]error, len(conns))
		before    = make([]iomodel.Stats, len(conns))
	)
	for i, c := range conns {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, buf := make([]byte, cfg.Size), make([]byte, cfg.Size)
			err := exchange(c, msg, buf)
			before[i], _ = models.StatsOf(c)
			ready.Done()
			if err != nil {
				errs[i] = err
				return
			}
			<-begin
			n := int64(0)
			h := &hists[i]
			for t0 := time.Now(); !stop.Load(); {
				if err := exchange(c, msg, buf); err != nil {
					errs[i] = err
					break
				}
				t1 := time.Now()
				h.Record(t1.Sub(t0))
				t0 = t1
				n++
			}
			counts[i] = n
		}()
	}
	ready.Wait()
	var mach0, handed0 uint64
	if inst.Machinery != nil {
		mach0 = inst.Machinery()
	}
	if inst.Handed != nil {
		handed0 = inst.Handed()
	}
	peak := threads()
	u0 := getUsage()
	t0 := time.Now()
	close(begin)
	timer := time.NewTimer(cfg.Duration)
	tick := time.NewTicker(max(cfg.Duration/50, time.Millisecond))
sample:
	for {
		select {
		case <-tick.C:
			peak = max(peak, threads())
		case <-timer.C:
			break sample
		}
	}
	tick.Stop()
	peak = max(peak, threads())
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	used := getUsage().sub(u0)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var msgs int64
	for _, n := range counts {
		msgs += n
	}
	if msgs == 0 {
		return errors.New("no message made the round trip")
	}
	var all latency.Hist
	for i := range hists {
		all.Merge(&hists[i])
	}
	r.MsgP50, r.MsgP99, r.MsgMax = micros(all.Quantile(0.50)), micros(all.Quantile(0.99)), micros(all.Max())
	r.MinMsgsPerConn, r.MaxMsgsPerConn = slices.Min(counts), slices.Max(counts)
	m := float64(msgs)
	r.MsgsPerSec = m / elapsed.Seconds()
	r.CPUPerMsg = micros(used.cpu) / m
	r.CtxSwitchesPerMsg = float64(used.csw) / m
	r.Threads = peak
	var sys, waits, eagain uint64
	counted := true
	for i, c := range conns {
		s, ok := models.StatsOf(c)
		if !ok {
			counted = false
			break
		}
		sys += s.Read.Syscalls + s.Write.Syscalls - before[i].Read.Syscalls - before[i].Write.Syscalls
		waits += s.Read.Waits + s.Write.Waits - before[i].Read.Waits - before[i].Write.Waits
		eagain += s.Read.WouldBlock + s.Write.WouldBlock - before[i].Read.WouldBlock - before[i].Write.WouldBlock
	}
	if counted {
		if inst.Handed != nil {
			sys -= min(inst.Handed()-handed0, sys)
		}
		if inst.Machinery != nil {
			sys += inst.Machinery() - mach0
		}
		s, w, e := float64(sys)/m, float64(waits)/m, float64(eagain)/m
		r.SyscallsPerMsg, r.WakeupsPerMsg, r.EAGAINsPerMsg = &s, &w, &e
	}
	return nil
}
