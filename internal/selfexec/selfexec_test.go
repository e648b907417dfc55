package selfexec

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("SELFEXEC_CHILD") == "1" {
		os.Stdout.WriteString("child ran\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCommand runs this test binary again, natively or under the emulator
// that runs this one (go test -exec qemu-aarch64): either way the child
// must start.
func TestCommand(t *testing.T) {
	cmd, err := Command()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "SELFEXEC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child ran") {
		t.Fatalf("child (%v, emulator %q): %v\n%s", cmd.Args, Emulator(), err, out)
	}
	t.Logf("emulator: %q", Emulator())
}
