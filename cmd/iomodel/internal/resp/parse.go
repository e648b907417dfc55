package resp

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits, Redis's own (proto-max-bulk-len, its inline and multibulk
// bounds): past them a request is a protocol error, not a buffer that
// grows without end.
const (
	MaxBulk   = 512 << 20 // bytes of one argument
	MaxInline = 64 << 10  // bytes of an inline line, or of an array's header line
	MaxArgs   = 1 << 20   // arguments of one command
)

// ProtocolError is a request that breaks RESP. The connection cannot be
// read further (where the next command starts is unknown): the server
// replies with the error, as Redis does, and closes.
type ProtocolError struct{ What string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.What }

// ErrQuit is what Feed returns after QUIT: the reply (+OK) is appended;
// close the connection once it is written.
var ErrQuit = errors.New("resp: the client sent QUIT")

// parse reads one command from the front of in into args (reused) and
// returns the arguments, which point into in, and the bytes the command
// took; n == 0 means in holds no whole command yet. An empty command (an
// empty line, *0) takes its bytes and returns no arguments.
func parse(in []byte, args [][]byte) (_ [][]byte, n int, err error) {
	if len(in) == 0 {
		return args, 0, nil
	}
	if in[0] != '*' {
		return parseInline(in, args)
	}
	count, end, err := header(in, "multibulk")
	if err != nil || end == 0 {
		return args, 0, err
	}
	if count <= 0 {
		return args, end, nil // *0 and *-1: nothing to do, as in Redis
	}
	pos := end
	for range count {
		if pos >= len(in) {
			return args, 0, nil
		}
		if in[pos] != '$' {
			return args, 0, &ProtocolError{fmt.Sprintf("expected '$', got '%c'", in[pos])}
		}
		size, end, err := header(in[pos:], "bulk")
		if err != nil || end == 0 {
			return args, 0, err
		}
		if size < 0 || size > MaxBulk {
			return args, 0, &ProtocolError{"invalid bulk length"}
		}
		pos += end
		if len(in)-pos < size+2 {
			return args, 0, nil
		}
		args = append(args, in[pos:pos+size:pos+size])
		pos += size + 2 // the CRLF after the data, unchecked as Redis leaves it
	}
	return args, pos, nil
}

// header reads the "*N\r\n" or "$N\r\n" line at the front of in: N, and
// the line's length with its CRLF (0 when it is not complete yet).
func header(in []byte, what string) (v, end int, err error) {
	i := bytes.IndexByte(in, '\r')
	if i < 0 || i+1 >= len(in) {
		if len(in) > MaxInline {
			return 0, 0, &ProtocolError{"too big " + what + " count string"}
		}
		return 0, 0, nil
	}
	v, ok := atoi(in[1:i])
	if !ok || what == "multibulk" && v > MaxArgs {
		return 0, 0, &ProtocolError{"invalid " + what + " length"}
	}
	return v, i + 2, nil
}

// atoi reads a decimal integer with an optional minus sign, nothing else.
func atoi(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 9 { // 999999999 is past every limit, and fits a 32-bit int
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = 10*v + int(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseInline reads a command written as a line (what nc sends): words
// separated by spaces or tabs, ending in LF or CRLF. Quotes are not
// interpreted.
func parseInline(in []byte, args [][]byte) ([][]byte, int, error) {
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		if len(in) > MaxInline {
			return args, 0, &ProtocolError{"too big inline request"}
		}
		return args, 0, nil
	}
	line := in[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	for len(line) > 0 {
		j := bytes.IndexAny(line, " \t")
		if j < 0 {
			args = append(args, line[:len(line):len(line)])
			break
		}
		if j > 0 {
			args = append(args, line[:j:j])
		}
		line = line[j+1:]
	}
	return args, i + 1, nil
}
