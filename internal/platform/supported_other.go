//go:build !linux

package platform

const supported = false
