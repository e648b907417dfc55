package multiplex_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/multiplex"
)

// DialContext has the signature net/http's Transport wants: every
// connection the client makes is then a multiplex Conn.
func ExampleDialContext() {
	l, err := multiplex.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello, World!")
	})}
	go srv.Serve(l)
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{DialContext: multiplex.DialContext}}
	resp, err := client.Get("http://" + l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK Hello, World!
}

// A ListenConfig's Control sets SO_REUSEPORT before the socket is bound,
// so several listeners share one port and the kernel spreads the incoming
// connections over them: one listener, and one accept loop, per CPU.
func ExampleListenConfig_reusePort() {
	lc := multiplex.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return err
	}}
	first, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	listeners := []*multiplex.Listener{first}
	for i := 1; i < max(runtime.NumCPU(), 2); i++ {
		l, err := lc.Listen(context.Background(), "tcp", first.Addr().String())
		if err != nil {
			fmt.Println(err)
			return
		}
		listeners = append(listeners, l)
	}
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") }))
		}()
	}
	for range 4 {
		resp, err := http.Get("http://" + first.Addr().String())
		if err != nil {
			fmt.Println(err)
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	for _, l := range listeners {
		l.Close()
	}
	wg.Wait()
	fmt.Println(len(listeners) >= 2, "listeners on one port")
	// Output: true listeners on one port
}
