package blocking_test

import (
	"testing"

	"github.com/iomodel/iomodel"
	"github.com/iomodel/iomodel/blocking"
	"github.com/iomodel/iomodel/conntest"
)

func newConn(fd int) (iomodel.Conn, error) { return blocking.New(fd) }

func TestConformance(t *testing.T) {
	pairs := conntest.FDPairs()
	for i := range pairs {
		pairs[i].Traits.DeadlineAtCallStart = "the blocking model arms SO_RCVTIMEO/SO_SNDTIMEO when a call starts; a call already sleeping in the kernel cannot see a new deadline"
		if pairs[i].Name == "pipe" {
			pairs[i].Traits.NoDeadlines = "a blocking pipe has no timeout option"
			pairs[i].Traits.CloseCannotInterrupt = "a read(2) or write(2) sleeping on a pipe cannot be woken; the pipe is closed when it returns"
		}
	}
	conntest.RunFDs(t, newConn, pairs)
}
