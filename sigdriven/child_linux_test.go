package sigdriven

import (
	"bytes"
	"github.com/iomodel/iomodel/internal/selfexec"
	"os"
	"testing"
)

const childEnv = "IOMODEL_SIGDRIVEN_CHILD"

// inChild reports whether this process is the child that runChild started
// for the test name.
func inChild(name string) bool { return os.Getenv(childEnv) == name }

// runChild runs the test name again in a new process of this test binary,
// for what changes process-wide state (signal masks seen by every thread,
// RLIMIT_SIGPENDING), and fails t with the child's output if it fails
// (skips it if the child skipped).
// Under an emulator the child runs under the same emulator (see emulator).
func runChild(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd, err := selfexec.Command(append([]string{"-test.run=^" + name + "$", "-test.count=1", "-test.v"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if emu := selfexec.Emulator(); emu != "" {
		t.Logf("this test binary runs under %s: so does its child", emu)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	if bytes.Contains(out, []byte("--- SKIP: "+name)) {
		t.Skipf("child skipped %s:\n%s", name, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("child %s did not run the test:\n%s", name, out)
	}
	return out
}

// logChildReport logs the line of a child's output that begins with key
// (the counters the child printed), and fails t if there is none.
func logChildReport(t *testing.T, out []byte, key string) {
	t.Helper()
	i := bytes.Index(out, []byte(key))
	if i < 0 {
		t.Fatalf("child did not report %s:\n%s", key, out)
	}
	line, _, _ := bytes.Cut(out[i:], []byte("\n"))
	t.Logf("child: %s", bytes.TrimSpace(line))
}
