//go:build !linux

package main

import "runtime"

// kernelName is the platform, where uname(2) is not asked.
func kernelName() string { return runtime.GOOS }
