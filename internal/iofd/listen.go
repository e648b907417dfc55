package iofd

import (
	"net"
	"time"
)

// listenState is what only a listening socket carries (and a bound
// unixgram one, its socket file): the settings of the connections it
// accepts and the file to remove when it is closed. It is made on first
// use (FD.listenLocked), so that a connection carries none of it.
type listenState struct {
	unixPath string // a Unix socket's file
	unlink   bool   // remove unixPath when the FD is destroyed

	// The settings of the TCP connections a listener accepts.
	acceptIdle time.Duration
	acceptKA   net.KeepAliveConfig
}

// listenLocked is fd's listenState, made on first use. Call it with
// fd.addrMu held.
func (fd *FD) listenLocked() *listenState {
	x := fd.extra()
	if x.listener == nil {
		x.listener = new(listenState)
	}
	return x.listener
}

// listenerLocked is fd's listenState, nil if it has none. Call it with
// fd.addrMu held.
func (fd *FD) listenerLocked() *listenState {
	if x := fd.ext.Load(); x != nil {
		return x.listener
	}
	return nil
}

// listenSettings is what a listener's Accept gives the TCP connections it
// makes: the zero ones for a listener made from a descriptor.
func (fd *FD) listenSettings() (idle time.Duration, ka net.KeepAliveConfig) {
	fd.addrMu.Lock()
	defer fd.addrMu.Unlock()
	if l := fd.listenerLocked(); l != nil {
		return l.acceptIdle, l.acceptKA
	}
	return 0, net.KeepAliveConfig{}
}
