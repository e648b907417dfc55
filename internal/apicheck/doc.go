// Package apicheck holds one test: that every package of the module that a user can import (not internal/, not cmd/)
// declares the same exported API on every platform. The models run on Linux
// only, and off Linux their constructors are stubs in files of their own;
// a stub that drifts from the real API would break a downstream build on
// macOS or Windows that Linux CI never sees.
package apicheck
