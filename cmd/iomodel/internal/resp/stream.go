package resp

import (
	"errors"
	"io"
)

// Stream is one client's side of the goroutine shape: a Session plus the
// start of a command that has not arrived whole, kept between reads.
type Stream struct {
	s    *Session
	rest []byte
}

// NewStream returns a Stream on store.
func NewStream(store *Store) *Stream { return &Stream{s: NewSession(store)} }

// Feed takes the bytes that arrived, executes every command they complete
// and appends the replies to out; the start of an incomplete command is
// kept (copied) for the next call. Its error is Session.Feed's.
func (st *Stream) Feed(out, in []byte) ([]byte, error) {
	data := in
	if len(st.rest) > 0 {
		st.rest = append(st.rest, in...)
		data = st.rest
	}
	out, n, err := st.s.Feed(out, data)
	if len(st.rest) > 0 {
		st.rest = append(st.rest[:0], st.rest[n:]...)
	} else {
		st.rest = append(st.rest, in[n:]...)
	}
	if cap(st.rest) > 64<<10 && len(st.rest) < 4<<10 {
		st.rest = append([]byte(nil), st.rest...) // a large request passed: let its buffer go
	}
	return out, err
}

// ServeConn serves one client on c (a model's Conn, or a net.Conn) until it
// shuts its side down, sends QUIT or breaks the protocol, or c fails: a
// goroutine per connection. It reads into a buffer of its own and answers
// each read's commands with one write, so a pipelined client gets its
// replies together. It returns nil at EOF and QUIT; it does not close c.
func ServeConn(c io.ReadWriter, store *Store) error {
	st := NewStream(store)
	buf := make([]byte, 16<<10)
	var out []byte
	for {
		n, rerr := c.Read(buf)
		var ferr error
		out, ferr = st.Feed(out[:0], buf[:n])
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return err
			}
		}
		switch {
		case errors.Is(ferr, ErrQuit):
			return nil
		case ferr != nil:
			return ferr
		case rerr == io.EOF:
			return nil
		case rerr != nil:
			return rerr
		}
	}
}
