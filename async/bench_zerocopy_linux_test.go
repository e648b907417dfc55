package async_test

import (
	"testing"

	"github.com/iomodel/iomodel/conntest"
)

// BenchmarkZeroCopy: io.Copy of a file to a TCP conn by sendfile and by
// the copy loop, MB/s and CPU per MB, beside package net's
// (conntest.BenchZeroCopy).
func BenchmarkZeroCopy(b *testing.B) { conntest.BenchZeroCopy(b, facadeNetwork()) }
