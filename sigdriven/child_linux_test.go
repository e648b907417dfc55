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
// RLIMIT_SIGPENDING), and fails t with the child's output if it fails
// (skips it if the child skipped).
// Under an emulator the child runs under the same emulator (see emulator).
func runChild(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{exe, "-test.run=^" + name + "$", "-test.count=1", "-test.v"}, args...)
	if emu := emulator(exe); emu != "" {
		t.Logf("this test binary runs under %s: so does its child", emu)
		argv = append([]string{emu}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
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

// emulator is the program that runs this test binary, exe, when the
// kernel does not run it itself (go test -exec qemu-aarch64 on amd64), or
// "" when it runs natively. qemu-user answers /proc/self/exe with the
// guest's binary, but not /proc/thread-self/exe, which names the program
// the kernel actually runs: the two differ only under an emulator.
func emulator(exe string) string {
	real, err := os.Readlink("/proc/thread-self/exe")
	if err != nil || real == exe {
		return ""
	}
	self, err := os.Readlink("/proc/self/exe")
	if err != nil || self == real {
		return "" // exe is a path to this binary the kernel resolved otherwise
	}
	return real
}
