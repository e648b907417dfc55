//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
)

// runInfo is where, when and from what a result comes (command, CPU,
// cores, kernel, Go, GOMAXPROCS, commit, date): saved with it (each of
// bench's JSON results, quick's and load's JSON setup) and said above it
// (the Markdown pages), so that a saved result keeps its context.
type runInfo = bench.Machine

// newRunInfo is this run's runInfo; args is the command line after
// "iomodel" (the command's name first).
func newRunInfo(args ...string) runInfo {
	return runInfo{
		Command: shellWords(append([]string{"iomodel"}, args...)),
		CPU:     cpuModel(), CPUs: runtime.NumCPU(), Kernel: kernelName(),
		Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Commit: commit(), Date: time.Now().UTC().Format(time.RFC3339),
	}
}

// machineLine says where, when and from what the figures come, on one
// line.
func machineLine(ri runInfo) string {
	date := ri.Date
	if t, err := time.Parse(time.RFC3339, ri.Date); err == nil {
		date = t.Format("2006-01-02 15:04 MST")
	}
	return fmt.Sprintf("%s, %d CPUs (%s), %s, GOMAXPROCS %d; %s; commit %s", ri.Kernel, ri.CPUs, ri.CPU, ri.Go, ri.GOMAXPROCS, date, ri.Commit)
}

// withInfo is m, made if nil, with ri's fields added under their JSON
// names.
func withInfo(ri runInfo, m map[string]any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m["command"], m["cpu"], m["cpus"], m["kernel"] = ri.Command, ri.CPU, ri.CPUs, ri.Kernel
	m["go"], m["gomaxprocs"], m["commit"], m["date"] = ri.Go, ri.GOMAXPROCS, ri.Commit, ri.Date
	return m
}

// machine says where, when and from what the figures come: kernel, CPUs,
// Go, GOMAXPROCS, date, commit.
func machine() string { return machineLine(newRunInfo()) }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// commit is the source's commit: the one go build and go install stamp
// (vcs.revision, " (modified)" after it when the tree had changes), or
// with go run in a checkout of this module, git rev-parse HEAD there; else
// "unknown".
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
		if rev != "" {
			return rev + dirty
		}
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "unknown"
	}
	// Another repository's commit would mislead: only this module's.
	mod, err := os.ReadFile(strings.TrimSpace(string(top)) + "/go.mod")
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/iomodel/iomodel\n")) {
		return "unknown"
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	if exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil {
		return strings.TrimSpace(string(rev)) + " (modified)"
	}
	return strings.TrimSpace(string(rev))
}

// shellWords is words as a reader would type them again in a shell.
func shellWords(words []string) string {
	q := make([]string, len(words))
	for i, a := range words {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$*?[]{}()<>|&;`~#") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
