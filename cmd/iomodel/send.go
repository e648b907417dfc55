//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// sendCmd is `iomodel send`: a TCP client in one model that sends TEXT and
// prints the answer.
//
// The answer is complete when it holds as many lines as TEXT (a newline is
// added to TEXT unless -n), which fits both an echo and a line-by-line
// server; with -n and no newline in TEXT, when it is as long as TEXT (an
// echo). It also ends when the server closes, and fails after -timeout.
func sendCmd(ctx context.Context, args []string, std stdio) error {
	fs := newFlags("send", "[-model M] [-n] [-timeout D] ADDR TEXT", std)
	model := fs.String("model", "multiplex", "the I/O model: "+modelList())
	noNewline := fs.Bool("n", false, "send TEXT as it is, without adding a newline (the answer is complete once as many lines as TEXT has came back, or, with none, as many bytes)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want an address (host:port) and the text to send, got %d arguments", fs.NArg())
	}
	if *timeout <= 0 {
		return usagef("-timeout must be positive, not %v", *timeout)
	}
	_, inst, err := startModel(*model)
	if err != nil {
		return err
	}
	defer inst.Close()
	c, err := inst.Dial("tcp", fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // Ctrl-C unblocks the wait
	defer stop()

	msg := []byte(fs.Arg(1))
	if !*noNewline && !bytes.HasSuffix(msg, []byte("\n")) {
		msg = append(msg, '\n')
	}
	if _, err := c.Send(msg); err != nil {
		return err
	}
	done := func(got []byte) bool { return len(got) >= len(msg) }
	if lines := bytes.Count(msg, []byte("\n")); lines > 0 {
		done = func(got []byte) bool { return bytes.Count(got, []byte("\n")) >= lines }
	}
	if err := c.SetReadDeadline(time.Now().Add(*timeout)); err != nil {
		return err
	}
	var got []byte
	buf := make([]byte, 32<<10)
	for !done(got) {
		n, err := c.Recv(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			std.out.Write(got)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("no complete answer within %v (got %d bytes)", *timeout, len(got))
			}
			return err
		}
	}
	_, err = std.out.Write(got)
	return err
}
