module github.com/iomodel/iomodel/downstream

go 1.26.0

replace github.com/iomodel/iomodel => ../

require (
	github.com/gorilla/websocket v1.5.3
	github.com/iomodel/iomodel v0.0.0-00010101000000-000000000000
	github.com/miekg/dns v1.1.73
	github.com/quic-go/quic-go v0.66.0
	golang.org/x/net v0.60.0
	golang.org/x/sys v0.48.0
	google.golang.org/grpc v1.85.0
)

require (
	golang.org/x/crypto v0.57.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
