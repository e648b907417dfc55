package resp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// array writes a command as redis-cli and redis-benchmark send it.
func array(args ...string) string {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	return s
}

func TestFeed(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		err            string // what the error says, "" for none
		rest           int    // bytes left unconsumed
	}{
		{"ping", array("PING"), "+PONG\r\n", "", 0},
		{"ping with a message", array("ping", "hi"), "$2\r\nhi\r\n", "", 0},
		{"set get del get", array("SET", "k", "v1") + array("GET", "k") + array("DEL", "k", "nope") + array("GET", "k"),
			"+OK\r\n$2\r\nv1\r\n:1\r\n$-1\r\n", "", 0},
		{"binary value", array("SET", "b", "a\r\nb\x00") + array("get", "b"), "+OK\r\n$5\r\na\r\nb\x00\r\n", "", 0},
		{"empty value", array("SET", "e", "") + array("GET", "e") + array("EXISTS", "e", "x"), "+OK\r\n$0\r\n\r\n:1\r\n", "", 0},
		{"inline", "PING\r\nset  k\tv\nGET k\r\n\r\n", "+PONG\r\n+OK\r\n$1\r\nv\r\n", "", 0},
		{"echo", array("ECHO", "x y"), "$3\r\nx y\r\n", "", 0},
		{"redis-benchmark's config", array("CONFIG", "GET", "save") + array("CONFIG", "GET", "appendonly") + array("CONFIG", "GET", "maxmemory"),
			"*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n*0\r\n", "", 0},
		{"redis-cli's command docs", array("COMMAND", "DOCS"), "*0\r\n", "", 0},
		{"select", array("SELECT", "0") + array("SELECT", "1"), "+OK\r\n-ERR DB index is out of range\r\n", "", 0},
		{"arity", array("GET") + array("SET", "k") + array("SET", "k", "v", "EX") + array("DEL"),
			"-ERR wrong number of arguments for 'get' command\r\n-ERR wrong number of arguments for 'set' command\r\n-ERR syntax error\r\n-ERR wrong number of arguments for 'del' command\r\n", "", 0},
		{"unknown", array("FLY", "me", "to"), "-ERR unknown command 'FLY', with args beginning with: 'me' 'to' \r\n", "", 0},
		{"empty arrays", "*0\r\n*-1\r\n" + array("PING"), "+PONG\r\n", "", 0},
		{"partial array", array("PING") + "*2\r\n$3\r\nGET\r\n$1\r", "+PONG\r\n", "", len("*2\r\n$3\r\nGET\r\n$1\r")},
		{"partial bulk", "*1\r\n$4\r\nPIN", "", "", len("*1\r\n$4\r\nPIN")},
		{"partial inline", "PING\nGE", "+PONG\r\n", "", 2},
		{"quit", array("PING") + array("QUIT") + array("PING"), "+PONG\r\n+OK\r\n", "ErrQuit", len(array("PING"))},
		{"not a bulk", array("PING") + "*1\r\n:5\r\n", "+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n", "expected '$'", len("*1\r\n:5\r\n")},
		{"bad count", "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n", "invalid multibulk length", 4},
		{"bad bulk length", "*1\r\n$-3\r\n", "-ERR Protocol error: invalid bulk length\r\n", "invalid bulk length", 9},
		{"bulk too long", "*1\r\n$999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n", "invalid bulk length", 16},
		{"inline too long", strings.Repeat("a", MaxInline+1), "-ERR Protocol error: too big inline request\r\n", "too big inline", MaxInline + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(NewStore())
			out, n, err := s.Feed([]byte("before:"), []byte(tc.in))
			if got, want := string(out), "before:"+tc.want; got != want {
				t.Errorf("replies %q, want %q", got, want)
			}
			if n != len(tc.in)-tc.rest {
				t.Errorf("consumed %d of %d, want %d", n, len(tc.in), len(tc.in)-tc.rest)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err == "ErrQuit" && !errors.Is(err, ErrQuit):
				t.Errorf("error %v, want ErrQuit", err)
			case tc.err != "" && tc.err != "ErrQuit" && (!errors.As(err, new(*ProtocolError)) || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want a *ProtocolError saying %q", err, tc.err)
			}
		})
	}
}

// script makes a random run of commands, as arrays and inline lines, on a
// few keys so that GET and DEL find what SET left; values are binary in
// the arrays.
func script(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	key := func() string { return fmt.Sprintf("key:%d", r.IntN(8)) }
	for range n {
		inline := r.IntN(4) == 0
		var args []string
		switch r.IntN(6) {
		case 0, 1:
			v := make([]byte, r.IntN(300))
			for i := range v {
				if inline {
					v[i] = 'a' + byte(r.IntN(26))
				} else {
					v[i] = byte(r.IntN(256))
				}
			}
			if inline && len(v) == 0 {
				v = []byte("x")
			}
			args = []string{"SET", key(), string(v)}
		case 2, 3:
			args = []string{"GET", key()}
		case 4:
			args = []string{"DEL", key(), key()}
		case 5:
			args = []string{"PING"}
		}
		if inline {
			b.WriteString(strings.Join(args, " ") + "\r\n")
		} else {
			b.WriteString(array(args...))
		}
	}
	return b.Bytes()
}

// chunks cuts in at random places, some chunks a byte long.
func chunks(r *rand.Rand, in []byte) [][]byte {
	var cs [][]byte
	for len(in) > 0 {
		n := 1 + r.IntN(min(len(in), 1+r.IntN(200)))
		cs = append(cs, in[:n])
		in = in[n:]
	}
	return cs
}

// TestChunking: the replies are the same bytes however the requests are
// cut, through Stream (the goroutine shape) and through a loop's buffer
// that keeps what Feed did not consume (the loop shape).
func TestChunking(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		in := script(r, 200)
		want, n, err := NewSession(NewStore()).Feed(nil, in)
		if err != nil || n != len(in) {
			t.Fatalf("seed %d: whole: consumed %d of %d, %v", seed, n, len(in), err)
		}
		cs := chunks(r, in)

		st := NewStream(NewStore())
		var got []byte
		for _, c := range cs {
			if got, err = st.Feed(got, c); err != nil {
				t.Fatalf("seed %d: Stream: %v", seed, err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: Stream's replies differ from the whole run's (%d and %d bytes)", seed, len(got), len(want))
		}
		if len(st.rest) != 0 {
			t.Errorf("seed %d: Stream kept %d bytes after the last command", seed, len(st.rest))
		}

		s := NewSession(NewStore())
		var kept []byte
		got = got[:0]
		for _, c := range cs {
			data := append(kept, c...)
			var n int
			if got, n, err = s.Feed(got, data); err != nil {
				t.Fatalf("seed %d: loop: %v", seed, err)
			}
			kept = append([]byte(nil), data[n:]...) // the loop's buffer is its own
		}
		if !bytes.Equal(got, want) || len(kept) != 0 {
			t.Fatalf("seed %d: loop's replies differ from the whole run's (%d and %d bytes), %d bytes kept", seed, len(got), len(want), len(kept))
		}
	}
}

// FuzzChunks: whatever the bytes, cutting them in two changes neither the
// replies nor the error.
func FuzzChunks(f *testing.F) {
	f.Add([]byte(array("SET", "k", "v")+array("GET", "k")+"PING\r\n"), 7)
	f.Add([]byte("*1\r\n$-3\r\n"), 3)
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nQUIT\r\nPING\r\n"), 20)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		want, _, werr := NewSession(NewStore()).Feed(nil, in)
		if cut < 0 || cut > len(in) {
			cut = len(in) / 2
		}
		st := NewStream(NewStore())
		got, err := st.Feed(nil, in[:cut])
		if err == nil {
			got, err = st.Feed(got, in[cut:])
		}
		if !bytes.Equal(got, want) || (err == nil) != (werr == nil) {
			t.Fatalf("cut at %d: %q, %v; whole: %q, %v", cut, got, err, want, werr)
		}
	})
}

// TestFeedAllocates nothing in steady state for GET and SET of an existing
// key.
func TestFeedAllocs(t *testing.T) {
	s := NewSession(NewStore())
	in := []byte(array("SET", "key", "value") + array("GET", "key") + "PING\r\n")
	out, _, _ := s.Feed(nil, in)
	allocs := testing.AllocsPerRun(100, func() {
		out, _, _ = s.Feed(out[:0], in)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per Feed, want 0", allocs)
	}
}
