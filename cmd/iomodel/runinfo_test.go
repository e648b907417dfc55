//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
)

// checkRunInfo checks the context saved with a result (setup, a runInfo
// or its JSON object as a map): the command, as typed, starts with
// command; CPU, cores, kernel, Go, GOMAXPROCS are this machine's; the
// commit is this checkout's; the date is now.
func checkRunInfo(t *testing.T, setup any, command string) {
	t.Helper()
	b, err := json.Marshal(setup)
	if err != nil {
		t.Fatal(err)
	}
	var ri runInfo
	if err := json.Unmarshal(b, &ri); err != nil {
		t.Fatalf("the saved context %s: %v", b, err)
	}
	var u unix.Utsname
	unix.Uname(&u)
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"cores", ri.CPUs, runtime.NumCPU()},
		{"kernel", ri.Kernel, "Linux " + unix.ByteSliceToString(u.Release[:])},
		{"Go", ri.Go, runtime.Version()},
		{"GOMAXPROCS", ri.GOMAXPROCS, runtime.GOMAXPROCS(0)},
		{"commit", ri.Commit, commitWanted(t)},
	} {
		if c.got != c.want {
			t.Errorf("saved %s %v, want %v (in %s)", c.what, c.got, c.want, b)
		}
	}
	if !strings.HasPrefix(ri.Command, command) {
		t.Errorf("saved command %q, want it to start %q", ri.Command, command)
	}
	if ri.CPU == "" || ri.CPU == "unknown CPU" && fileHas("/proc/cpuinfo", "model name") {
		t.Errorf("saved CPU %q", ri.CPU)
	}
	if d, err := time.Parse(time.RFC3339, ri.Date); err != nil || time.Since(d) > 5*time.Minute || time.Since(d) < -time.Minute {
		t.Errorf("saved date %q (%v): not now", ri.Date, err)
	}
}

func fileHas(path, s string) bool {
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}

// commitWanted is what commit should say in this test binary (which go
// test does not stamp): this checkout's HEAD, or "unknown" without git.
func commitWanted(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	want := strings.TrimSpace(string(out))
	if exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil {
		want += " (modified)"
	}
	return want
}

// TestCommit: in a checkout of this module, commit is git's HEAD; in a
// directory of another repository, or of none, it is "unknown", never
// another repository's commit.
func TestCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	if err := exec.Command("git", "rev-parse", "HEAD").Run(); err != nil {
		t.Skipf("not in a git checkout (git rev-parse HEAD: %v)", err)
	}
	if got, want := commit(), commitWanted(t); got != want || len(strings.Fields(want)[0]) != 40 {
		t.Errorf("commit() = %q, want %q (git rev-parse HEAD)", got, want)
	}
	other := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", other, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v: %s", args, err, out)
		}
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644)
	git("add", "go.mod")
	git("commit", "-q", "-m", "other")
	t.Chdir(other)
	if got := commit(); got != "unknown" {
		t.Errorf("in another repository, commit() = %q, want unknown", got)
	}
}

// TestBenchSavedContext: each of bench's JSON results carries its context,
// -load gives it back in the Markdown page's header, and results saved by
// an older iomodel, without it, still load, saying they have none.
func TestBenchSavedContext(t *testing.T) {
	r := runArgs(t, append(tiny, "-format", "json", "-progress=false", "-isolate=false")...)
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.err)
	}
	var rs []bench.Result
	if err := json.Unmarshal([]byte(r.stdout), &rs); err != nil || len(rs) != 4 {
		t.Fatalf("%d results, %v: %s", len(rs), err, r.stdout)
	}
	for _, res := range rs {
		if res.Machine == nil || *res.Machine != *rs[0].Machine {
			t.Fatalf("%s ×%d: machine %+v, want %+v", res.Model, res.Conns, res.Machine, rs[0].Machine)
		}
	}
	m := *rs[0].Machine
	checkRunInfo(t, m, "iomodel bench -models blocking,net -conns 2,3 -duration 15ms -chunk 4096 -format json")
	path := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(path, []byte(r.stdout), 0o644)
	md := runArgs(t, "bench", "-load", path, "-format", "markdown")
	head := "    " + m.Command + "\n\n64-byte messages, 2/3 conns, 4 KiB stream sends, TCP loopback, 15ms per run; " + machineLine(m) + "\n\n| model |"
	if md.code != 0 || !strings.HasPrefix(md.stdout, head) || !strings.Contains(head, "commit "+m.Commit) {
		t.Errorf("-load -format markdown: status %d, stderr %q; want the page to start\n%s\ngot:\n%s", md.code, md.err, head, md.stdout)
	}
	again := runArgs(t, "bench", "-load", path, "-format", "json")
	var resaved []bench.Result
	if err := json.Unmarshal([]byte(again.stdout), &resaved); err != nil || len(resaved) != 4 || resaved[0].Machine == nil || *resaved[0].Machine != m {
		t.Errorf("saved again, the context changed: %+v, was %+v (%v)", resaved, m, err)
	}
	for i := range rs {
		rs[i].Machine = nil
	}
	bare, _ := json.Marshal(rs)
	os.WriteFile(path, bare, 0o644)
	old := runArgs(t, "bench", "-load", path, "-format", "markdown")
	if old.code != 0 || !strings.Contains(old.stdout, "saved without the command, machine, date and commit") {
		t.Errorf("results without their context: status %d, stderr %q:\n%s", old.code, old.err, old.stdout)
	}
}
