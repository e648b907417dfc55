//go:build linux

package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a server of the event shapes running in a process of its own
// (iomodel serve, a peer, Redis), so that its CPU time, threads and memory
// can be read from /proc and are its alone.
type Proc struct {
	Addr   string
	counts chan string // the lines iomodel serve prints on SIGUSR1
	cmd    *exec.Cmd
	stderr *tail
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// tail keeps the last bytes a process wrote, for an error message.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// StartProc starts cmd and waits (up to 20 s) until it serves: until it
// prints a line with " listening on ADDR" when addr is empty, or until
// addr accepts a connection.
func StartProc(ctx context.Context, cmd *exec.Cmd, addr string) (*Proc, error) {
	p := &Proc{cmd: cmd, stderr: &tail{}, exited: make(chan struct{}), counts: make(chan string, 1)}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if c, ok := strings.CutPrefix(sc.Text(), CountsPrefix); ok {
				select {
				case p.counts <- c:
				default:
				}
				continue
			}
			if _, a, ok := strings.Cut(sc.Text(), " listening on "); ok {
				select {
				case found <- strings.TrimSpace(a):
				default:
				}
			}
		}
		io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.After(20 * time.Second)
	if addr == "" {
		select {
		case p.Addr = <-found:
			return p, nil
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it served: %v: %s", cmd.Path, p.err, p.stderr)
		case <-deadline:
		case <-ctx.Done():
		}
		p.Stop()
		return nil, fmt.Errorf("%s did not say where it listens within 20 s: %s", cmd.Path, p.stderr)
	}
	p.Addr = addr
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it served: %v: %s", cmd.Path, p.err, p.stderr)
		case <-deadline:
			p.Stop()
			return nil, fmt.Errorf("%s did not accept on %s within 20 s: %s", cmd.Path, addr, p.stderr)
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop asks the process to stop (SIGINT), and kills it after 5 s. It
// reports an exit that was not clean.
func (p *Proc) Stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s had exited: %v: %s", p.cmd.Path, p.err, p.stderr)
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		var ee *exec.ExitError
		if errors.As(p.err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
			return nil // Redis and the peers may die of the signal: that is their way
		}
		if p.err != nil {
			return fmt.Errorf("%s: %v: %s", p.cmd.Path, p.err, p.stderr)
		}
		return nil
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 5 s of SIGINT: killed", p.cmd.Path)
	}
}

// Counts is what iomodel serve prints on SIGUSR1, a line CountsPrefix and
// this as JSON on its standard output: the system calls and wake-ups it has
// made serving, since it started.
type Counts struct {
	// Counted is false where the server keeps no counts (net).
	Counted bool `json:"counted"`
	// Syscalls: in the goroutine shape, the Conns' data system calls and
	// the model's machinery's (poller waits and changes, signals read,
	// ring enters); in the loop shape, the engine's reads, writes and
	// loop wake-ups (async: its reads and writes are operations the
	// kernel completed on the ring).
	Syscalls uint64 `json:"syscalls"`
	// Wakeups: the times a call went to sleep (Conn Stats Waits), or a
	// loop returned from its wait (EngineStats Wakeups).
	Wakeups uint64 `json:"wakeups"`
}

// CountsPrefix starts the line of Counts.
const CountsPrefix = "stats: "

// Counts asks the process for its Counts (SIGUSR1) and waits up to 2 s
// for them.
func (p *Proc) Counts() (Counts, error) {
	var c Counts
	select {
	case <-p.counts: // an answer nobody waited for
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return c, err
	}
	select {
	case line := <-p.counts:
		err := json.Unmarshal([]byte(line), &c)
		return c, err
	case <-p.exited:
		return c, fmt.Errorf("%s exited: %v: %s", p.cmd.Path, p.err, p.stderr)
	case <-time.After(2 * time.Second):
		return c, fmt.Errorf("%s did not print its counts within 2 s of SIGUSR1", p.cmd.Path)
	}
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux port Go runs on.
const clockTick = 10 * time.Millisecond

// Usage is what /proc says of a process now.
type Usage struct {
	CPU     time.Duration // user + system, every thread (10 ms resolution)
	Threads int
	RSS     int64 // resident bytes (VmRSS)
}

// Usage reads the process's CPU time and threads from /proc/PID/stat, and
// its resident memory from /proc/PID/status.
func (p *Proc) Usage() (Usage, error) { return procUsage(p.cmd.Process.Pid) }

func procUsage(pid int) (Usage, error) {
	var u Usage
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return u, err
	}
	// The fields after the command's name, which is in parentheses and
	// may hold spaces: state is the 3rd field of proc(5), utime the 14th,
	// stime the 15th, num_threads the 20th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return u, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 18 {
		return u, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	th, err3 := strconv.Atoi(f[17])
	if err := errors.Join(err1, err2, err3); err != nil {
		return u, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	u.CPU, u.Threads = time.Duration(ut+st)*clockTick, th
	s, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return u, err
	}
	for line := range bytes.Lines(s) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			if err != nil {
				return u, fmt.Errorf("/proc/%d/status: VmRSS %q", pid, v)
			}
			u.RSS = kb << 10
		}
	}
	return u, nil
}

// FreeAddr finds a loopback port free now, for a server that must be told
// its port (Redis, the peers). Another process could take it before the
// server binds; the server then fails to start, saying so.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
