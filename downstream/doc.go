// Package downstream holds no code: its tests run widely used libraries
// that take package net's interfaces (grpc-go, miekg/dns, quic-go,
// gorilla/websocket) on every model's Listener, PacketConn and DialContext,
// with package net as the control in the same run. It is a module of its
// own so that the library's go.mod keeps its few dependencies; go.mod
// replaces the library with the working tree (..).
//
//	cd downstream && go test -count=1 ./...
package downstream
