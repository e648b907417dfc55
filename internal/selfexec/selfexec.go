// Package selfexec runs this program again in a child process, under the
// same emulator when one runs it: the tool re-runs itself for its echo
// client and its isolated benchmark runs, and tests re-run their own test
// binary for what changes process-wide state.
//
// qemu-user answers /proc/self/exe with the guest's binary, which the host
// kernel cannot run (exec format error); /proc/thread-self/exe, which qemu
// does not fake, names the program the kernel actually runs. The two differ
// only under an emulator, which the child then needs too.
package selfexec

import (
	"os"
	"os/exec"
)

// Command is exec.Command of this program's own executable with args,
// prefixed with the emulator that runs this process, if any.
func Command(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	argv := append([]string{exe}, args...)
	if emu := Emulator(); emu != "" {
		argv = append([]string{emu}, argv...)
	}
	return exec.Command(argv[0], argv[1:]...), nil
}

// Emulator is the program the kernel runs in place of this executable (an
// emulator such as qemu-aarch64), or "" when it runs natively.
func Emulator() string {
	real, err := os.Readlink("/proc/thread-self/exe")
	if err != nil {
		return ""
	}
	self, err := os.Readlink("/proc/self/exe")
	if err != nil || self == real {
		return ""
	}
	return real
}
