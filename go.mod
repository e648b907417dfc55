module github.com/iomodel/iomodel

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.47.0
)

require golang.org/x/net v0.58.0
