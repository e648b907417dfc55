package nonblock_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/nonblock"
)

// The model in its bare form: TryRecv asks the kernel once and returns at
// once. The caller decides what to do between attempts: here, other work.
func ExampleConn_TryRecv() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	a, _ := nonblock.New(fds[0])
	b, _ := nonblock.New(fds[1])
	defer a.Close()
	defer b.Close()

	buf := make([]byte, 32)
	for step := 1; ; step++ {
		n, err := b.TryRecv(buf)
		if errors.Is(err, nonblock.ErrWouldBlock) {
			fmt.Printf("step %d: nothing yet, doing other work\n", step)
			if step == 2 {
				a.Send([]byte("data")) // the "other work" that makes data appear
			}
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("step %d: got %q\n", step, buf[:n])
		break
	}
	// Output:
	// step 1: nothing yet, doing other work
	// step 2: nothing yet, doing other work
	// step 3: got "data"
}

// A Policy trades CPU for latency: Spin never sleeps; the default yields,
// then sleeps with a capped back-off.
func ExampleWithPolicy() {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal(err)
	}
	a, _ := nonblock.New(fds[0], nonblock.WithPolicy(nonblock.Spin))
	b, _ := nonblock.New(fds[1], nonblock.WithPolicy(nonblock.Policy{Yields: 10, MinSleep: 100 * time.Microsecond, MaxSleep: time.Millisecond}))
	defer a.Close()
	defer b.Close()
	go a.Send([]byte("ping"))
	buf := make([]byte, 4)
	n, _ := b.Recv(buf)
	fmt.Println(string(buf[:n]))
	// Output: ping
}
