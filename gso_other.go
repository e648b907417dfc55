//go:build !linux

package iomodel

// AppendGSO returns oob as it is: there is no UDP segmentation offload
// off Linux.
func AppendGSO(oob []byte, segment int) []byte { return oob }

// GROSegment finds nothing off Linux: there is no UDP receive offload.
func GROSegment(oob []byte) (segment int, ok bool) { return 0, false }
