//go:build !linux

package blocking

import "github.com/iomodel/iomodel/internal/iofd"

// sleeper is the blocking model's iofd.Driver; off Linux no FD is made,
// and none of it is reached.
type sleeper struct{}

func (*sleeper) Try(*iofd.FD, *iofd.Half, *iofd.Call) (int, error)  { return 0, nil }
func (*sleeper) Wait(*iofd.FD, *iofd.Half, *iofd.Call) (int, error) { return 0, nil }
func (*sleeper) Evict(*iofd.FD, *iofd.Half)                         {}
func (*sleeper) Destroy(*iofd.FD)                                   {}
