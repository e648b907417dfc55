package conntest

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// signalStorm sends SIGUSR1, caught with signal.Notify, to every thread of
// the process every period until stop is called.
func signalStorm(period time.Duration) (stop func(), err error) {
	if _, err := os.ReadDir("/proc/self/task"); err != nil {
		return nil, err
	}
	caught := make(chan os.Signal, 64)
	signal.Notify(caught, syscall.SIGUSR1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		pid := unix.Getpid()
		for {
			select {
			case <-quit:
				return
			case <-caught:
			case <-tick.C:
				tasks, _ := os.ReadDir("/proc/self/task")
				for _, task := range tasks {
					if tid, err := strconv.Atoi(task.Name()); err == nil {
						unix.Tgkill(pid, tid, unix.SIGUSR1)
					}
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		signal.Stop(caught)
	}, nil
}
