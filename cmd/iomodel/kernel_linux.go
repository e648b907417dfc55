package main

import "golang.org/x/sys/unix"

// kernelName is "Linux" and the kernel's release (uname(2)).
func kernelName() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "Linux"
	}
	return "Linux " + unix.ByteSliceToString(u.Release[:])
}
