package sigdriven

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

const childEnv = "IOMODEL_SIGDRIVEN_CHILD"

// inChild reports whether this process is the child that runChild started
// for the test name.
func inChild(name string) bool { return os.Getenv(childEnv) == name }

// runChild runs the test name again in a new process of this test binary,
// for what changes process-wide state (signal masks seen by every thread,
// RLIMIT_SIGPENDING), and fails t with the child's output if it fails.
func runChild(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-test.run=^" + name + "$", "-test.count=1", "-test.v"}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("child %s did not run the test:\n%s", name, out)
	}
	return out
}
