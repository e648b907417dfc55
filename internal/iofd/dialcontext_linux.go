package iofd

import (
	"context"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel/internal/sock"
)

// aLongTimeAgo is the deadline that cancels a pending connect, as net
// sets one to cancel its own.
var aLongTimeAgo = time.Unix(1, 0)

// DialContext is every model's Dialer.DialContext, with net.Dialer's
// semantics: resolve with ctx (through d.Resolver), try each address in
// turn, each with its share of the time left (at least 2 s where there is
// that much), race IPv4 against IPv6 for "tcp" after FallbackDelay (300 ms
// by default; negative turns it off) as net's Happy Eyeballs does; for each
// address: socket(2), the model's New, bind to LocalAddr, Control, and
// connect(2) waiting the model's way. Cancelling ctx, its deadline, Timeout
// and Deadline end a pending connect in every model: the connect's
// deadline is moved to the past, which each model applies at once. Errors
// are *net.OpError with Op "dial"; a cancelled or timed-out dial's wraps an
// error that is context.Canceled or context.DeadlineExceeded for errors.Is,
// as net's does. A nil ctx panics, as net's does.
func DialContext[T any](ctx context.Context, d *DialConfig, model, network, address string, open Opener[T]) (T, error) {
	var zero T
	if ctx == nil {
		panic("nil context")
	}
	if dl := d.deadline(ctx, time.Now()); !dl.IsZero() {
		if cur, ok := ctx.Deadline(); !ok || dl.Before(cur) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
	}
	targets, err := sock.ResolveDial(ctx, d.Resolver, network, address)
	if err != nil {
		if ctx.Err() != nil {
			err = mapCtxErr(ctx.Err())
		}
		return zero, &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Err: err}
	}
	primaries, fallbacks := targets, []sock.Target(nil)
	if strings.HasPrefix(network, "tcp") && network == "tcp" && d.FallbackDelay >= 0 {
		primaries, fallbacks = splitFamilies(targets)
	}
	if len(fallbacks) == 0 {
		return dialSerial(ctx, d, network, primaries, open)
	}
	return dialParallel(ctx, d, network, primaries, fallbacks, open)
}

// splitFamilies puts the addresses of the first one's family first, the
// others aside for the fallback race.
func splitFamilies(ts []sock.Target) (primaries, fallbacks []sock.Target) {
	for _, t := range ts {
		if t.Family == ts[0].Family {
			primaries = append(primaries, t)
		} else {
			fallbacks = append(fallbacks, t)
		}
	}
	return primaries, fallbacks
}

// dialParallel races the primaries against the fallbacks, which start
// FallbackDelay later (or at once if the primaries have failed); the first
// connection wins and the other race is cancelled and its connection, if
// any, closed.
func dialParallel[T any](ctx context.Context, d *DialConfig, network string, primaries, fallbacks []sock.Target, open Opener[T]) (T, error) {
	type result struct {
		c       T
		err     error
		primary bool
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, 2)
	race := func(ctx context.Context, ts []sock.Target, primary bool) {
		c, err := dialSerial(ctx, d, network, ts, open)
		results <- result{c, err, primary}
	}
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go race(pctx, primaries, true)
	delay := d.FallbackDelay
	if delay == 0 {
		delay = 300 * time.Millisecond
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	started, pending := false, 1
	var firstErr error
	closeLate := func(n int) { // the loser's connection, if it had one
		go func() {
			for ; n > 0; n-- {
				if r := <-results; r.err == nil {
					if cl, ok := any(r.c).(interface{ Close() error }); ok {
						cl.Close()
					}
				}
			}
		}()
	}
	for {
		select {
		case <-timer.C:
			if !started {
				started, pending = true, pending+1
				go race(fctx, fallbacks, false)
			}
		case r := <-results:
			pending--
			if r.err == nil {
				pcancel()
				fcancel()
				closeLate(pending)
				return r.c, nil
			}
			if r.primary || firstErr == nil {
				firstErr = r.err
			}
			if !started {
				started, pending = true, pending+1
				timer.Stop()
				go race(fctx, fallbacks, false)
				continue
			}
			if pending == 0 {
				var zero T
				return zero, firstErr
			}
		}
	}
}

// dialSerial tries each address in turn, each with its share of the time
// left, and returns the first connection or the first error.
func dialSerial[T any](ctx context.Context, d *DialConfig, network string, ts []sock.Target, open Opener[T]) (T, error) {
	var zero T
	var firstErr error
	for i, t := range ts {
		if err := ctx.Err(); err != nil {
			return zero, &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Addr: sock.Addr(t.Type, t.Addr), Err: mapCtxErr(err)}
		}
		dl, _ := ctx.Deadline()
		partial := partialDeadline(time.Now(), dl, len(ts)-i)
		c, err := dialOne(ctx, d, network, t, partial, open)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return zero, firstErr
}

// partialDeadline is net's: an equal share of the time left for each
// address remaining, but at least 2 s where there is that much.
func partialDeadline(now, deadline time.Time, remaining int) time.Time {
	if deadline.IsZero() {
		return deadline
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return now
	}
	share := left / time.Duration(remaining)
	const saneMinimum = 2 * time.Second
	if share < saneMinimum {
		share = min(left, saneMinimum)
	}
	return now.Add(share)
}

func dialOne[T any](ctx context.Context, d *DialConfig, network string, t sock.Target, deadline time.Time, open Opener[T]) (T, error) {
	var zero T
	raddr := sock.Addr(t.Type, t.Addr)
	fail := func(fd *FD, err error) (T, error) {
		if fd != nil {
			fd.Close()
		}
		return zero, &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Addr: raddr, Err: err}
	}
	s, err := sock.Socket(t, false)
	if err != nil {
		return fail(nil, err)
	}
	c, fd, err := open(s, nil)
	if err != nil {
		unix.Close(s)
		return fail(nil, err)
	}
	fd.named(network)
	if d.ControlContext != nil || d.Control != nil {
		address := raddr.String()
		var err error
		if d.ControlContext != nil {
			err = d.ControlContext(ctx, network+familySuffix(t), address, fd.RawConn())
		} else {
			err = d.Control(network+familySuffix(t), address, fd.RawConn())
		}
		if err != nil {
			return fail(fd, err)
		}
	}
	if d.LocalAddr != nil {
		if err := fd.bind(t, d.LocalAddr); err != nil {
			return fail(fd, err)
		}
	}
	fd.setHalfDeadline(&fd.Write, deadline)
	stop := context.AfterFunc(ctx, func() { fd.setHalfDeadline(&fd.Write, aLongTimeAgo) })
	err = fd.connect(t.Addr)
	if !stop() && ctx.Err() == context.Canceled {
		// Cancelled: whatever connect saw (the deadline moved to the
		// past), the dial was cancelled. A deadline that passed is
		// reported as net reports it, as os.ErrDeadlineExceeded.
		err = errCanceled
	}
	fd.setHalfDeadline(&fd.Write, time.Time{})
	if err != nil {
		return fail(fd, err)
	}
	fd.SetAddrs(fd.sockname(), raddr)
	if err := fd.tcpDefaults(d.KeepAlive, d.KeepAliveConfig); err != nil {
		return fail(fd, err)
	}
	return c, nil
}

// familySuffix is what net appends to the network it names to Control:
// "tcp" becomes "tcp4" or "tcp6".
func familySuffix(t sock.Target) string {
	last := t.Network[len(t.Network)-1]
	if last == '4' || last == '6' || t.Family == unix.AF_UNIX {
		return ""
	}
	if t.Family == unix.AF_INET {
		return "4"
	}
	return "6"
}

// bind binds the socket to a Dialer's LocalAddr.
func (fd *FD) bind(t sock.Target, local net.Addr) error {
	lt, err := sock.Resolve(t.Network, local.String(), true)
	if err != nil {
		return err
	}
	if t.Family == unix.AF_INET6 {
		if sa4, ok := lt.Addr.(*unix.SockaddrInet4); ok {
			// An IPv4 local address for an IPv6 socket: its mapped form.
			sa6 := &unix.SockaddrInet6{Port: sa4.Port}
			copy(sa6.Addr[10:], []byte{0xff, 0xff})
			copy(sa6.Addr[12:], sa4.Addr[:])
			lt.Addr = sa6
		}
	}
	if err := unix.Bind(fd.Sysfd, lt.Addr); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}
