package resp

import (
	"strconv"
)

// Session parses and executes commands for one client at a time. It keeps
// no state of the client's between calls (there is one database and no
// transaction), so the loop shape can lend one to whichever connection has
// data; its only memory is a scratch list of arguments.
type Session struct {
	store *Store
	args  [][]byte
}

// NewSession returns a Session on store.
func NewSession(store *Store) *Session { return &Session{store: store} }

// Feed executes every whole command at the front of in, appending the
// replies to out, and returns out and how many bytes of in the commands
// took; the rest, in[consumed:], is the start of a command not complete
// yet. After a request that breaks the protocol it appends the error reply
// and returns a *ProtocolError; after QUIT, +OK and ErrQuit: in both cases
// write out, then close.
func (s *Session) Feed(out, in []byte) (_ []byte, consumed int, err error) {
	for consumed < len(in) {
		args, n, err := parse(in[consumed:], s.args[:0])
		s.args = args
		if err != nil {
			return appendError(out, "ERR "+err.Error()), consumed, err
		}
		if n == 0 {
			break
		}
		consumed += n
		if len(args) == 0 {
			continue
		}
		var quit bool
		out, quit = s.exec(out, args)
		if quit {
			clear(s.args)
			return out, consumed, ErrQuit
		}
	}
	clear(s.args) // keep no reference to in
	return out, consumed, nil
}

// exec runs one command and appends its reply.
func (s *Session) exec(out []byte, args [][]byte) (_ []byte, quit bool) {
	name, args := args[0], args[1:]
	switch {
	case is(name, "get"):
		if len(args) != 1 {
			return wrongArgs(out, "get"), false
		}
		return s.store.appendGet(out, args[0]), false
	case is(name, "set"):
		if len(args) != 2 {
			if len(args) < 2 {
				return wrongArgs(out, "set"), false
			}
			return appendError(out, "ERR syntax error"), false
		}
		s.store.Set(args[0], args[1])
		return append(out, "+OK\r\n"...), false
	case is(name, "del"), is(name, "exists"):
		if len(args) == 0 {
			return wrongArgs(out, lower(name)), false
		}
		n := 0
		for _, k := range args {
			if is(name, "del") && s.store.Del(k) || is(name, "exists") && s.store.Exists(k) {
				n++
			}
		}
		return appendInt(out, n), false
	case is(name, "ping"):
		switch len(args) {
		case 0:
			return append(out, "+PONG\r\n"...), false
		case 1:
			return appendBulk(out, args[0]), false
		}
		return wrongArgs(out, "ping"), false
	case is(name, "echo"):
		if len(args) != 1 {
			return wrongArgs(out, "echo"), false
		}
		return appendBulk(out, args[0]), false
	case is(name, "config"):
		// redis-benchmark asks CONFIG GET save and appendonly at start:
		// nothing is saved here.
		if len(args) != 2 || !is(args[0], "get") {
			return appendError(out, "ERR only CONFIG GET parameter is served here"), false
		}
		switch {
		case is(args[1], "save"):
			out = append(out, "*2\r\n"...)
			return appendBulk(appendBulk(out, []byte("save")), nil), false
		case is(args[1], "appendonly"):
			out = append(out, "*2\r\n"...)
			return appendBulk(appendBulk(out, []byte("appendonly")), []byte("no")), false
		}
		return append(out, "*0\r\n"...), false
	case is(name, "command"):
		// redis-cli asks COMMAND DOCS at start to complete names: it
		// makes do with none.
		return append(out, "*0\r\n"...), false
	case is(name, "select"):
		if len(args) != 1 {
			return wrongArgs(out, "select"), false
		}
		if string(args[0]) != "0" {
			return appendError(out, "ERR DB index is out of range"), false
		}
		return append(out, "+OK\r\n"...), false
	case is(name, "quit"):
		return append(out, "+OK\r\n"...), true
	}
	return unknown(out, name, args), false
}

// is reports whether b is name, ignoring ASCII case (name is lower case).
func is(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

func lower(b []byte) string {
	s := []byte(string(b))
	for i, c := range s {
		if 'A' <= c && c <= 'Z' {
			s[i] = c + 'a' - 'A'
		}
	}
	return string(s)
}

func wrongArgs(out []byte, cmd string) []byte {
	return appendError(out, "ERR wrong number of arguments for '"+cmd+"' command")
}

// unknown is Redis's reply to a command it does not know.
func unknown(out, name []byte, args [][]byte) []byte {
	msg := "ERR unknown command '" + printable(name) + "', with args beginning with: "
	for _, a := range args {
		msg += "'" + printable(a) + "' "
	}
	return appendError(out, msg)
}

// printable keeps an error line one line: at most 128 bytes, CR and LF as
// spaces.
func printable(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	s := []byte(string(b))
	for i, c := range s {
		if c == '\r' || c == '\n' {
			s[i] = ' '
		}
	}
	return string(s)
}

func appendError(out []byte, msg string) []byte {
	out = append(out, '-')
	out = append(out, msg...)
	return append(out, "\r\n"...)
}

func appendBulk(out, v []byte) []byte {
	out = append(out, '$')
	out = strconv.AppendInt(out, int64(len(v)), 10)
	out = append(out, "\r\n"...)
	out = append(out, v...)
	return append(out, "\r\n"...)
}

func appendInt(out []byte, n int) []byte {
	out = append(out, ':')
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, "\r\n"...)
}
