package async

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const seccompChildEnv = "IOMODEL_ASYNC_SECCOMP_CHILD"

// seccompChild runs in a child process (see TestSeccomp): it installs a
// seccomp filter that fails io_uring_setup(2) with EPERM, as Docker's default
// profile does, on every thread (SECCOMP_FILTER_FLAG_TSYNC), then checks what
// New says. It returns the process's exit code.
func seccompChild() int {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println("prctl:", err)
		return 3
	}
	// seccomp(2), "Filter": check the architecture, then the syscall number.
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.AUDIT_ARCH_X86_64, Jf: 3},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_IO_URING_SETUP, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); e != 0 {
		fmt.Println("seccomp:", e)
		return 3
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	_, err = New(fds[0])
	fmt.Println(err)
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, unix.EPERM) {
		return 1
	}
	return 0
}

// TestSeccomp drives the unsupported path for real: a child process under a
// seccomp filter like Docker's default profile must get an error that wraps
// errors.ErrUnsupported and names seccomp (or the sysctl, where it is set).
func TestSeccomp(t *testing.T) {
	requireRing(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), seccompChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if code := cmd.ProcessState.ExitCode(); code == 3 {
		t.Skipf("cannot install a seccomp filter here: %s", msg)
	} else if err != nil {
		t.Fatalf("child: %v: %s", err, msg)
	}
	if !strings.Contains(msg, "seccomp") && !strings.Contains(msg, "io_uring_disabled") {
		t.Errorf("the error does not name the cause: %s", msg)
	}
	t.Logf("under seccomp: %s", msg)
}
